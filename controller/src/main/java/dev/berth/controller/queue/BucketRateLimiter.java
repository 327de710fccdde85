package dev.berth.controller.queue;

import java.time.Clock;
import java.time.Duration;

/**
 * Overall token bucket shared by all items (client-go's BucketRateLimiter): {@code qps} tokens per
 * second, at most {@code burst} saved up. Each {@link #when} takes a token and returns how long to
 * wait for it, so a storm of failures cannot retry faster than {@code qps}. Thread-safe.
 */
public final class BucketRateLimiter<K> implements RateLimiter<K> {
    private final Clock clock;
    private final double qps;
    private final double burst;
    private double tokens;
    private long lastNanos;

    public BucketRateLimiter(Clock clock, double qps, int burst) {
        if (!(qps > 0) || burst < 1) {
            throw new IllegalArgumentException("token bucket needs qps > 0 and burst >= 1, got " + qps + ", " + burst);
        }
        this.clock = clock;
        this.qps = qps;
        this.burst = burst;
        this.tokens = burst;
        this.lastNanos = nanos();
    }

    private long nanos() {
        java.time.Instant i = clock.instant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Override
    public synchronized Duration when(K item) {
        long now = nanos();
        if (now > lastNanos) {
            tokens = Math.min(burst, tokens + (now - lastNanos) / 1e9 * qps);
            lastNanos = now;
        }
        tokens -= 1;
        return tokens >= 0 ? Duration.ZERO : Duration.ofNanos((long) Math.ceil(-tokens / qps * 1e9));
    }

    @Override
    public void forget(K item) {
        // shared bucket: nothing per item
    }

    @Override
    public int numRequeues(K item) {
        return 0;
    }
}
