package dev.berth.reconcilers;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Makes the node match one object's spec. Level-triggered: each call observes the node, compares it
 * with the spec, takes the smallest next step, updates {@code object}'s status, and says how it went.
 * It must be idempotent and must never assume a previous call succeeded.
 *
 * <p>Threading: the dispatcher never runs two reconciles of the same object at once; different
 * objects are reconciled concurrently, so implementations must be thread-safe across objects.
 *
 * @param <T> the kind
 */
public interface Reconciler<T extends HasMetadata> {

    /** The kind this reconciler handles. */
    Class<T> kind();

    /**
     * Reconciles {@code object} (a copy the caller owns; its status may be edited and is written
     * back by the caller when it changed).
     *
     * @return the outcome; throw to have the attempt retried with backoff
     */
    Result reconcile(T object, Context context) throws Exception;
}
