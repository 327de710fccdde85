package dev.berth.engine.sandbox;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.testing.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A full CNI CHECK at the first look, then once per interval; 0 means every look. */
class CheckScheduleTest {
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    @Test
    void theFirstLookIsAFullCheckAndThenOncePerInterval() {
        FakeClock clock = new FakeClock();
        CheckSchedule s = new CheckSchedule(clock);
        assertTrue(s.due("default/pod_pause", FIVE_MINUTES), "never checked (a daemon start)");
        s.checked("default/pod_pause");
        assertFalse(s.due("default/pod_pause", FIVE_MINUTES));
        clock.advance(Duration.ofMinutes(4));
        assertFalse(s.due("default/pod_pause", FIVE_MINUTES));
        clock.advance(Duration.ofMinutes(1));
        assertTrue(s.due("default/pod_pause", FIVE_MINUTES));
        assertTrue(s.due("default/pod_pause", Duration.ZERO));
    }

    @Test
    void aRemovedSandboxIsCheckedInFullWhenItComesBack() {
        CheckSchedule s = new CheckSchedule(new FakeClock());
        s.checked("default/pod_pause");
        s.forget("default/pod_pause");
        assertTrue(s.due("default/pod_pause", FIVE_MINUTES));
    }
}
