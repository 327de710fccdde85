package dev.berth.controller.queue;

import dev.berth.engine.testing.FakeClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    @Test
    void exponentialGrowthStaysWithinJitterBoundsAndTheCap() {
        Random random = new Random(42);
        ExponentialRateLimiter<String> l = new ExponentialRateLimiter<>(Duration.ofMillis(10), Duration.ofMinutes(5), 0.2, random::nextDouble);
        boolean sawJitter = false;
        for (int n = 0; n < 40; n++) {
            Duration ceiling = l.ceiling(n);
            Duration d = l.when("k");
            long expected = Math.min(10L << Math.min(n, 40), Duration.ofMinutes(5).toMillis());
            assertEquals(Duration.ofMillis(expected), ceiling, "ceiling of failure " + n);
            assertTrue(d.compareTo(ceiling) <= 0, n + ": " + d + " above " + ceiling);
            assertTrue(d.toNanos() >= (long) (ceiling.toNanos() * 0.8), n + ": " + d + " below 80% of " + ceiling);
            sawJitter |= !d.equals(ceiling);
        }
        assertTrue(sawJitter, "jitter is applied");
        assertEquals(40, l.numRequeues("k"));
        assertEquals(0, l.numRequeues("other"), "per item");
        assertEquals(Duration.ofMinutes(5), l.ceiling(1000));
    }

    @Test
    void jitterExtremes() {
        ExponentialRateLimiter<String> none = new ExponentialRateLimiter<>(Duration.ofSeconds(1), Duration.ofSeconds(8), 0.5, () -> 0.0);
        ExponentialRateLimiter<String> most = new ExponentialRateLimiter<>(Duration.ofSeconds(1), Duration.ofSeconds(8), 0.5, () -> 0.999999);
        assertEquals(Duration.ofSeconds(1), none.when("a"));
        assertEquals(Duration.ofSeconds(2), none.when("a"));
        Duration d = most.when("a");
        assertTrue(d.compareTo(Duration.ofMillis(500)) >= 0 && d.compareTo(Duration.ofMillis(501)) < 0, d.toString());
    }

    @Test
    void invalidSettingsAreRejectedEagerly() {
        assertThrows(IllegalArgumentException.class, () -> new ExponentialRateLimiter<>(Duration.ZERO, Duration.ofSeconds(1), 0, () -> 0));
        assertThrows(IllegalArgumentException.class, () -> new ExponentialRateLimiter<>(Duration.ofSeconds(2), Duration.ofSeconds(1), 0, () -> 0));
        assertThrows(IllegalArgumentException.class, () -> new ExponentialRateLimiter<>(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0, () -> 0));
        assertThrows(IllegalArgumentException.class, () -> new BucketRateLimiter<>(new FakeClock(), 0, 1));
    }

    @Test
    void bucketAllowsBurstThenPacesAtQps() {
        FakeClock clock = new FakeClock();
        BucketRateLimiter<String> b = new BucketRateLimiter<>(clock, 10, 3);
        assertEquals(Duration.ZERO, b.when("a"));
        assertEquals(Duration.ZERO, b.when("b"));
        assertEquals(Duration.ZERO, b.when("c"));
        assertEquals(Duration.ofMillis(100), b.when("d"));
        assertEquals(Duration.ofMillis(200), b.when("e"));
        clock.advance(Duration.ofSeconds(10));
        assertEquals(Duration.ZERO, b.when("f"), "refilled, capped at burst");
        assertEquals(Duration.ZERO, b.when("g"));
        assertEquals(Duration.ZERO, b.when("h"));
        assertEquals(Duration.ofMillis(100), b.when("i"));
    }

    @Test
    void maxOfTakesTheLongestWait() {
        FakeClock clock = new FakeClock();
        RateLimiter<String> l = new MaxOfRateLimiter<>(
                new ExponentialRateLimiter<>(Duration.ofMillis(5), Duration.ofSeconds(1000), 0, () -> 0),
                new BucketRateLimiter<>(clock, 10, 1));
        assertEquals(Duration.ofMillis(5), l.when("a"));
        assertEquals(Duration.ofMillis(100), l.when("b"), "bucket empty: 100 ms beats 5 ms");
        assertEquals(1, l.numRequeues("a"));
        l.forget("a");
        assertEquals(0, l.numRequeues("a"));
    }
}
