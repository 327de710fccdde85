package dev.berth.reconcilers;

import dev.berth.crd.status.BerthStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Makes the node match one object's spec. Level-triggered: each call observes the node, compares it
 * with the spec, takes the smallest next step and returns the status it wants written with how it
 * went ({@link Outcome}); it reports readiness in the shared {@link Readiness} vocabulary. It must
 * be idempotent and must never assume a previous call succeeded.
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
     * Reconciles {@code object}: read it (metadata, spec and the last written status), never change
     * it; build the status to write from {@link Outcome#startFrom} and return it. Implementations
     * narrow the return type to their kind's status ({@code Outcome<ContainerStatus>}).
     *
     * @return the status to write and the outcome; throw (or return {@link Outcome#failed}) to have
     *     the attempt retried with backoff
     */
    Outcome<? extends BerthStatus> reconcile(T object, Context context) throws Exception;
}
