package dev.berth.engine.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A UTC clock that moves only when the test says so, for everything that takes a {@link Clock}
 * (queues, backoff, crash-loop, GC, leases): tests advance it instead of sleeping. Thread-safe.
 */
public final class FakeClock extends Clock {
    /** Where a clock made without a start begins: a fixed instant, so runs are repeatable. */
    public static final Instant START = Instant.parse("2026-11-27T12:00:00Z");

    private final AtomicReference<Instant> now;

    public FakeClock() {
        this(START);
    }

    public FakeClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** Moves the clock forward (or back, with a negative duration). */
    public void advance(Duration d) {
        now.updateAndGet(t -> t.plus(d));
    }

    /** Sets the clock to {@code t}. */
    public void set(Instant t) {
        now.set(t);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now.get();
    }
}
