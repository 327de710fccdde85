package dev.berth.controller.queue;

import java.time.Duration;
import java.time.Clock;
import java.util.List;

/**
 * The longest wait of several limiters; {@link #numRequeues} is the largest count. client-go's
 * default controller limiter is the max of a per-item exponential and an overall bucket, which
 * {@link #defaultFor(Clock)} builds. Thread-safe if the parts are.
 */
public final class MaxOfRateLimiter<K> implements RateLimiter<K> {
    private final List<RateLimiter<K>> limiters;

    @SafeVarargs
    public MaxOfRateLimiter(RateLimiter<K>... limiters) {
        this.limiters = List.of(limiters);
    }

    /** Per-item exponential 10 ms..5 min with 20 % jitter, and overall 10 retries/s, burst 100. */
    public static <K> RateLimiter<K> defaultFor(Clock clock) {
        return new MaxOfRateLimiter<>(ExponentialRateLimiter.withDefaults(), new BucketRateLimiter<>(clock, 10, 100));
    }

    @Override
    public Duration when(K item) {
        Duration max = Duration.ZERO;
        for (RateLimiter<K> l : limiters) {
            Duration d = l.when(item);
            if (d.compareTo(max) > 0) {
                max = d;
            }
        }
        return max;
    }

    @Override
    public void forget(K item) {
        limiters.forEach(l -> l.forget(item));
    }

    @Override
    public int numRequeues(K item) {
        return limiters.stream().mapToInt(l -> l.numRequeues(item)).max().orElse(0);
    }
}
