package dev.berth.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.status.Condition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadinessTest {
    private static final Clock T0 = Clock.fixed(Instant.parse("2026-12-03T08:00:00Z"), ZoneOffset.UTC);
    private static final Clock T1 = Clock.fixed(Instant.parse("2026-12-03T08:01:00Z"), ZoneOffset.UTC);

    private static String flags(Readiness r) {
        ContainerStatus st = r.applyTo(new ContainerStatus(), 4L, T0);
        StringBuilder sb = new StringBuilder();
        for (String type : List.of(Condition.READY, Condition.PROGRESSING, Condition.DEGRADED)) {
            Condition c = st.condition(type).orElseThrow();
            assertEquals(r.reason(), c.reason(), type);
            assertEquals(4L, c.observedGeneration(), type);
            sb.append(c.isTrue() ? 'T' : 'F');
        }
        return sb.toString();
    }

    @Test
    void eachStateStandsForItsThreeConditions() {
        assertEquals("TFF", flags(Readiness.ready("Running", "up")));
        assertEquals("FTF", flags(Readiness.progressing("Starting", "starting")));
        assertEquals("FTF", flags(Readiness.waiting("WaitingForImage", "waiting")));
        assertEquals("FTT", flags(Readiness.retrying("PauseImageUnavailable", "offline")));
        assertEquals("FFT", flags(Readiness.degraded("CrashLoopBackOff", "back-off")));
        assertEquals("FFF", flags(Readiness.finished("Completed", "exited with code 0")));
    }

    @Test
    void degradedCarriesTheMessageOnlyWhileTrue() {
        ContainerStatus st = Readiness.ready("Running", "up").applyTo(new ContainerStatus(), 1L, T0);
        assertNull(st.condition(Condition.DEGRADED).orElseThrow().message());
        assertEquals("up", st.condition(Condition.PROGRESSING).orElseThrow().message());
        Readiness.degraded("ProbeFailed", "probe said no").applyTo(st, 1L, T1);
        assertEquals("probe said no", st.condition(Condition.DEGRADED).orElseThrow().message());
    }

    @Test
    void anUnchangedReadinessLeavesTheStatusEqual() {
        ContainerStatus st = Readiness.waiting("WaitingForImage", "w").applyTo(new ContainerStatus(), 1L, T0);
        ContainerStatus again = Readiness.waiting("WaitingForImage", "w").applyTo((ContainerStatus) st.copy(), 1L, T1);
        assertEquals(st, again);
        ContainerStatus ready = Readiness.ready("Running", "r").applyTo((ContainerStatus) st.copy(), 1L, T1);
        assertEquals("2026-12-03T08:01:00Z", ready.condition(Condition.READY).orElseThrow().lastTransitionTime());
        assertEquals("2026-12-03T08:00:00Z", ready.condition(Condition.DEGRADED).orElseThrow().lastTransitionTime(),
                "Degraded stayed False: its transition time stays");
    }

    @Test
    void aFailureKeepsTheLastKnownReadiness() {
        ContainerStatus st = Readiness.ready("Running", "r").applyTo(new ContainerStatus(), 1L, T0);
        Readiness.markFailed(st, "Unavailable", "runc is gone", T1);
        assertTrue(st.isReady());
        assertTrue(st.condition(Condition.DEGRADED).orElseThrow().isTrue());
        ContainerStatus fresh = new ContainerStatus();
        Readiness.markFailed(fresh, "Unavailable", "runc is gone", T1);
        assertFalse(fresh.isReady());
        assertEquals("Unavailable", fresh.condition(Condition.READY).orElseThrow().reason());
    }

    @Test
    void anOutcomeCarriesTheStatusToWrite() throws Exception {
        ContainerStatus st = new ContainerStatus();
        assertEquals(Result.converged(), Outcome.converged(st).result());
        assertEquals(Result.requeueAfter(Duration.ofSeconds(1)), Outcome.requeueAfter(st, Duration.ofSeconds(1)).result());
        assertEquals(Result.waitingFor(ObjectRef.parse("Image/busybox")),
                Outcome.waitingFor(st, ObjectRef.parse("Image/busybox")).result());
        assertThrows(NullPointerException.class, () -> Outcome.converged(null));

        Container c = new Container();
        assertEquals(Result.converged(), Outcome.converged(st).writeTo(c));
        assertSame(st, c.getStatus());
        IllegalStateException boom = new IllegalStateException("boom");
        ContainerStatus failedSt = new ContainerStatus();
        assertSame(boom, assertThrows(IllegalStateException.class, () -> Outcome.failed(failedSt, boom).writeTo(c)));
        assertSame(failedSt, c.getStatus(), "a failed outcome's status is written too");
    }

    @Test
    void aReconcileStartsFromACopyOfTheCurrentStatus() {
        ContainerStatus current = Readiness.ready("Running", "r").applyTo(new ContainerStatus(), 1L, T0);
        ContainerStatus next = Outcome.startFrom(current, ContainerStatus::new);
        assertNotSame(current, next);
        assertEquals(current, next);
        Readiness.degraded("Error", "e").applyTo(next, 1L, T1);
        assertTrue(current.isReady(), "editing the next status leaves the current one alone");
        assertEquals(new ContainerStatus(), Outcome.startFrom(null, ContainerStatus::new));
    }
}
