package dev.berth.engine.gc;

import dev.berth.engine.testing.FakeClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GcSchedulerTest {

    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));

    private GcScheduler defaults() {
        return GcScheduler.from(Config.defaults(), clock);
    }

    /** Runs the collection the scheduler asked for, pretending it took {@code took}. */
    private static void collect(GcScheduler s, Duration took) {
        s.started();
        s.finished(took, true);
    }

    @Test
    void firstCollectionIsDueAfterTheStartupDelay() {
        GcScheduler s = defaults();
        assertFalse(s.due());
        clock.advance(Duration.ofMillis(99));
        assertFalse(s.due());
        clock.advance(Duration.ofMillis(1));
        assertTrue(s.due());
    }

    @Test
    void withoutTriggersOnlyTheMaxIntervalCallsForOne() {
        GcScheduler s = defaults();
        clock.advance(Duration.ofSeconds(1));
        collect(s, Duration.ofMillis(10));
        assertEquals(Optional.of(clock.instant().plus(Duration.ofHours(1))), s.nextRun());
        GcScheduler never = new GcScheduler(clock, 0.02, 0, 100, Duration.ZERO, Duration.ZERO, Duration.ZERO);
        collect(never, Duration.ofMillis(10));
        assertEquals(Optional.empty(), never.nextRun());
    }

    @Test
    void aDeletionTriggersButNeverBeforeThePauseBudget() {
        GcScheduler s = defaults();
        clock.advance(Duration.ofSeconds(1));
        collect(s, Duration.ofMillis(100));
        // 100 ms at 2 % -> at least 4.9 s before the next triggered run
        assertEquals(Duration.ofMillis(4900), s.interval());
        s.deleted();
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMillis(4900))), s.nextRun());
        clock.advance(Duration.ofMillis(4899));
        assertFalse(s.due());
        clock.advance(Duration.ofMillis(1));
        assertTrue(s.due());
    }

    @Test
    void mutationsTriggerAtTheThreshold() {
        GcScheduler s = new GcScheduler(clock, 0.02, 0, 3, Duration.ofMillis(50), Duration.ZERO, Duration.ZERO);
        collect(s, Duration.ofMillis(1));
        clock.advance(Duration.ofSeconds(10));
        s.mutated();
        s.mutated();
        assertEquals(Optional.empty(), s.nextRun());
        s.mutated();
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMillis(50))), s.nextRun(), "schedule_delay debounces");
    }

    @Test
    void deletionThresholdCountsDeletions() {
        GcScheduler s = new GcScheduler(clock, 0.02, 2, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO);
        collect(s, Duration.ofMillis(1));
        clock.advance(Duration.ofSeconds(10));
        s.deleted();
        assertEquals(Optional.empty(), s.nextRun());
        s.deleted();
        assertTrue(s.due());
    }

    @Test
    void explicitRequestsIgnoreThePauseBudgetAndFailuresRetryLater() {
        GcScheduler s = defaults();
        collect(s, Duration.ofSeconds(1));
        s.request();
        assertTrue(s.due());
        s.started();
        s.finished(Duration.ofSeconds(1), false);
        assertEquals(Optional.of(clock.instant().plus(s.interval()).plusSeconds(1)), s.nextRun());
    }

    @Test
    void eventsDuringACollectionCountForTheNextOne() {
        GcScheduler s = defaults();
        clock.advance(Duration.ofSeconds(1));
        s.started();
        s.deleted();
        s.finished(Duration.ofMillis(5), true);
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMillis(245))), s.nextRun());
    }

    @Test
    void badPauseThresholdIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new GcScheduler(clock, 0.9, 0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO));
    }
}
