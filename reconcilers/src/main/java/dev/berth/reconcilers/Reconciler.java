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
     * Reconciles {@code object} (the caller's decoded instance; edit its status, which the caller
     * writes back when it changed; never its spec or metadata: when nothing else changed the stored
     * object, the same instance comes back to the next reconcile of this key).
     *
     * @return the outcome; throw to have the attempt retried with backoff
     */
    Result reconcile(T object, Context context) throws Exception;
}
