package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** reconcile_workers: 0 = 4 per CPU within 4..32, a number as given, out of range refused. */
class ReconcileWorkersTest {
    @Test
    void zeroFollowsTheCpuCount() {
        assertEquals(4, ControllerSettings.reconcileWorkers(0, 1));
        assertEquals(8, ControllerSettings.reconcileWorkers(0, 2));
        assertEquals(32, ControllerSettings.reconcileWorkers(0, 64));
        assertEquals(3, ControllerSettings.reconcileWorkers(3, 64));
    }

    @Test
    void outOfRangeIsRefusedWithTheFix() {
        assertNull(ControllerSettings.RECONCILE_WORKERS.validate(256L));
        String problem = ControllerSettings.RECONCILE_WORKERS.validate(-1L);
        assertNotNull(problem);
        assertEquals("must be 0 (from the CPU count) or 1..256", problem);
    }
}
