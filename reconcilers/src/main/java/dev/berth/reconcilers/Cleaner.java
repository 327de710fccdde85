package dev.berth.reconcilers;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Optional second role of a {@link Reconciler}: removes what an object owns on the node when the
 * object is deleted (task, then snapshot, then references). Implementing it is what makes the
 * controller keep a finalizer on the object. Same threading rules as {@link Reconciler}.
 *
 * @param <T> the kind
 */
public interface Cleaner<T extends HasMetadata> {

    /**
     * Cleans up after {@code object}. Idempotent: it may be called again after a crash.
     *
     * @return {@link Result#converged()} when everything is gone (the finalizer may be removed), or
     *     {@link Result#requeueAfter} while something is still going away; throw to retry with backoff
     */
    Result cleanup(T object, Context context) throws Exception;
}
