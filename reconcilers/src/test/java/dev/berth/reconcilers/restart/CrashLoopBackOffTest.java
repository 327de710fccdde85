package dev.berth.reconcilers.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.container.RestartPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CrashLoopBackOffTest {
    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    private final ManualClock clock = new ManualClock();
    private final CrashLoopBackOff policy = new CrashLoopBackOff(clock);

    @Test
    void firstRestartIsImmediateThenBacksOffFromTheSecondExit() {
        Instant started = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        RestartState first = policy.onExit(null, started);
        assertEquals(Duration.ZERO, first.delay());
        assertTrue(policy.mayStart(first), "kubelet restarts a container that crashed once at once");
        assertEquals(Optional.of(Duration.ZERO), policy.restartIn(RestartPolicy.Always, 1, first));
        RestartState second = policy.onExit(first, clock.instant(), clock.instant().plusSeconds(1));
        assertEquals(Duration.ofSeconds(10), second.delay());
    }

    @Test
    void doublesFromTenSecondsToFiveMinutes() {
        RestartState s = null;
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            Instant started = clock.instant();
            clock.advance(Duration.ofSeconds(1));
            s = policy.onExit(s, started);
            delays.add(s.delay().toSeconds());
            assertEquals(i == 0, policy.mayStart(s));
            clock.advance(s.delay());
            assertTrue(policy.mayStart(s));
        }
        assertEquals(List.of(0L, 10L, 20L, 40L, 80L, 160L, 300L, 300L, 300L), delays);
        assertEquals(9, s.crashes());
    }

    @Test
    void resetsAfterTenMinutesOfRunning() {
        RestartState s = null;
        for (int i = 0; i < 6; i++) {
            s = policy.onExit(s, clock.instant(), clock.instant().plusSeconds(1));
        }
        assertEquals(Duration.ofSeconds(160), s.delay());
        Instant started = clock.instant();
        RestartState almost = policy.onExit(s, started, started.plus(Duration.ofMinutes(10)).minusSeconds(1));
        assertEquals(Duration.ofSeconds(300), almost.delay(), "9:59 of running is not enough");
        RestartState reset = policy.onExit(s, started, started.plus(Duration.ofMinutes(10)));
        assertEquals(Duration.ZERO, reset.delay(), "after 10 min running an exit counts as the first again");
        assertEquals(1, reset.crashes());
    }

    @Test
    void restartPolicyDecidesWhetherToRestart() {
        Instant start = clock.instant();
        clock.advance(Duration.ofSeconds(3));
        RestartState s = policy.onExit(policy.onExit(null, start), start);
        assertEquals(start.plusSeconds(13), s.nextStartAt());
        assertEquals(Optional.of(Duration.ofSeconds(10)), policy.restartIn(RestartPolicy.Always, 0, s));
        assertEquals(Optional.empty(), policy.restartIn(RestartPolicy.OnFailure, 0, s));
        assertEquals(Optional.of(Duration.ofSeconds(10)), policy.restartIn(RestartPolicy.OnFailure, 137, s));
        assertEquals(Optional.empty(), policy.restartIn(RestartPolicy.Never, 1, s));
        clock.advance(Duration.ofSeconds(4));
        assertEquals(Optional.of(Duration.ofSeconds(6)), policy.restartIn(RestartPolicy.Always, 1, s));
        clock.advance(Duration.ofMinutes(1));
        assertEquals(Optional.of(Duration.ZERO), policy.restartIn(RestartPolicy.Always, 1, s));
        assertTrue(policy.mayStart(null), "never exited: may start");
    }

    @Test
    void rejectsNonsenseSettings() {
        assertThrows(IllegalArgumentException.class, () -> new CrashLoopBackOff(clock, Duration.ZERO, Duration.ofMinutes(1), Duration.ofMinutes(1)));
        assertThrows(IllegalArgumentException.class, () -> new CrashLoopBackOff(clock, Duration.ofMinutes(2), Duration.ofMinutes(1), Duration.ofMinutes(1)));
        CrashLoopBackOff fast = new CrashLoopBackOff(clock, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(10));
        assertEquals(Duration.ofSeconds(2), fast.onExit(fast.onExit(fast.onExit(null, null), null), null).delay(),
                "KEP-4603 style faster settings");
    }
}
