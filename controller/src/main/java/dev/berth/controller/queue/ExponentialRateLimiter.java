package dev.berth.controller.queue;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * Per-item exponential backoff with jitter: the n-th consecutive failure of an item (n from 0) waits
 * {@code min(base * 2^n, max)}, shortened by a random fraction of up to {@code jitter} so that many
 * items failing together (a registry going away) do not retry in lockstep. The result therefore
 * lies in {@code [d * (1 - jitter), d]} and never exceeds {@code max}.
 *
 * <p>Defaults ({@link #DEFAULT_BASE} 10 ms to {@link #DEFAULT_MAX} 5 min, 20 % jitter) differ from
 * client-go's 5 ms to 1000 s: a node agent retrying a local runtime or registry has no reason to go
 * quiet for a quarter of an hour, and 5 min matches the crash-loop cap users already know.
 * Thread-safe.
 */
public final class ExponentialRateLimiter<K> implements RateLimiter<K> {
    public static final Duration DEFAULT_BASE = Duration.ofMillis(10);
    public static final Duration DEFAULT_MAX = Duration.ofMinutes(5);
    public static final double DEFAULT_JITTER = 0.2;

    private final long baseNanos;
    private final long maxNanos;
    private final double jitter;
    private final DoubleSupplier random;
    private final Map<K, Integer> failures = new ConcurrentHashMap<>();

    /**
     * @param random source of numbers in [0, 1) (e.g. {@code ThreadLocalRandom.current()::nextDouble});
     *     tests pass a fixed one
     */
    public ExponentialRateLimiter(Duration base, Duration max, double jitter, DoubleSupplier random) {
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("backoff base must be positive, got " + base);
        }
        if (max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff max " + max + " is below the base " + base);
        }
        if (!(jitter >= 0 && jitter < 1)) {
            throw new IllegalArgumentException("backoff jitter must be in [0, 1), got " + jitter);
        }
        this.baseNanos = base.toNanos();
        this.maxNanos = max.toNanos();
        this.jitter = jitter;
        this.random = Objects.requireNonNull(random, "random");
    }

    /** The defaults with {@link java.util.concurrent.ThreadLocalRandom}. */
    public static <K> ExponentialRateLimiter<K> withDefaults() {
        return new ExponentialRateLimiter<>(DEFAULT_BASE, DEFAULT_MAX, DEFAULT_JITTER,
                () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
    }

    @Override
    public Duration when(K item) {
        int n = failures.merge(item, 1, Integer::sum) - 1;
        return jittered(n);
    }

    /** The delay of the n-th failure before jitter. */
    Duration ceiling(int n) {
        long d = n >= 62 || baseNanos > (maxNanos >> Math.min(n, 62)) ? maxNanos : baseNanos << n;
        return Duration.ofNanos(Math.min(d, maxNanos));
    }

    private Duration jittered(int n) {
        long d = ceiling(n).toNanos();
        double cut = jitter * random.getAsDouble();
        return Duration.ofNanos(d - (long) (d * cut));
    }

    @Override
    public void forget(K item) {
        failures.remove(item);
    }

    @Override
    public int numRequeues(K item) {
        return failures.getOrDefault(item, 0);
    }
}
