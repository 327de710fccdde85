package dev.berth.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.crd.ObjectRef;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ResultTest {
    @Test
    void valuesCompareByContent() {
        assertSame(Result.converged(), Result.converged());
        assertEquals(Result.requeueAfter(Duration.ofSeconds(5)), Result.requeueAfter(Duration.ofSeconds(5)));
        assertEquals(Result.waitingFor(ObjectRef.parse("Image/busybox")), Result.waitingFor(ObjectRef.parse("Image/default/busybox")));
        assertEquals("WaitingFor(Image/default/busybox)", Result.waitingFor(ObjectRef.parse("Image/busybox")).toString());
    }

    @Test
    void requeueNeedsAPositiveDelay() {
        assertThrows(IllegalArgumentException.class, () -> Result.requeueAfter(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Result.requeueAfter(Duration.ofSeconds(-1)));
        assertThrows(NullPointerException.class, () -> Result.waitingFor(null));
    }
}
