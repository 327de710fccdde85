package dev.berth.controller.queue;

import java.time.Duration;

/**
 * Decides how long a failed item waits before it is retried, as client-go's workqueue rate limiters
 * do. Implementations are thread-safe.
 *
 * @param <K> item type
 */
public interface RateLimiter<K> {

    /** How long {@code item} should wait now; records one more failure for it. */
    Duration when(K item);

    /** Drops what is recorded for {@code item} (it succeeded or went away). */
    void forget(K item);

    /** Failures recorded for {@code item} since it was last forgotten. */
    int numRequeues(K item);
}
