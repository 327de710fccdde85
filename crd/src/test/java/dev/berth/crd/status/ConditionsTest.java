package dev.berth.crd.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.container.ContainerStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {
    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00.123Z");

    private static Clock at(Instant t) {
        return Clock.fixed(t, ZoneOffset.UTC);
    }

    @Test
    void transitionTimeChangesOnlyWhenStatusChanges() {
        List<Condition> list = new ArrayList<>();
        assertTrue(Conditions.set(list, Condition.of(Condition.READY, false, "WaitingForImage", "Image busybox is not Ready"), at(T0)));
        assertEquals("2026-11-27T10:00:00Z", list.get(0).lastTransitionTime());

        Instant later = T0.plus(Duration.ofMinutes(5));
        assertTrue(Conditions.set(list, Condition.of(Condition.READY, false, "Pulling", "pulling busybox"), at(later)));
        assertEquals("2026-11-27T10:00:00Z", list.get(0).lastTransitionTime(), "same status keeps the time");
        assertEquals("Pulling", list.get(0).reason());

        assertFalse(Conditions.set(list, Condition.of(Condition.READY, false, "Pulling", "pulling busybox"), at(later.plusSeconds(1))),
                "an identical condition is no change (no status write, no reconcile loop)");

        assertTrue(Conditions.set(list, Condition.of(Condition.READY, true, "Running", "pid 42"), at(later)));
        assertEquals("2026-11-27T10:05:00Z", list.get(0).lastTransitionTime());
        assertEquals(1, list.size());
    }

    @Test
    void typesAreIndependentAndRemovable() {
        List<Condition> list = new ArrayList<>();
        Conditions.set(list, Condition.of(Condition.READY, true, "Running", ""), at(T0));
        Conditions.set(list, new Condition(Condition.DEGRADED, Condition.TRUE, "MemoryLimitDrift", "restored 64Mi", null, 3L), at(T0));
        assertEquals(2, list.size());
        assertEquals(3L, Conditions.find(list, Condition.DEGRADED).orElseThrow().observedGeneration());
        assertTrue(Conditions.remove(list, Condition.DEGRADED));
        assertFalse(Conditions.remove(list, Condition.DEGRADED));
        assertEquals(List.of(Condition.READY), list.stream().map(Condition::type).toList());
    }

    @Test
    void statusReadiness() {
        ContainerStatus s = new ContainerStatus();
        assertFalse(s.isReady());
        Conditions.set(s.getConditions(), Condition.of(Condition.READY, true, "Running", "ok"), at(T0));
        assertTrue(s.isReady());
        ContainerStatus t = new ContainerStatus();
        t.setConditions(s.getConditions());
        assertEquals(s, t);
        t.setRestartCount(1);
        assertFalse(s.equals(t));
    }
}
