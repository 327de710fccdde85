package dev.berth.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.engine.errdefs.BerthException;
import org.junit.jupiter.api.Test;

class SignalsTest {
    @Test
    void namesAndNumbers() {
        assertEquals(15, Signals.parse("SIGTERM"));
        assertEquals(15, Signals.parse("term"));
        assertEquals(9, Signals.parse("9"));
        assertEquals(3, Signals.parse("SIGQUIT"));
        assertThrows(BerthException.class, () -> Signals.parse("SIGNOPE"));
        assertThrows(BerthException.class, () -> Signals.parse("0"));
        assertThrows(BerthException.class, () -> Signals.parse("99"));
    }
}
