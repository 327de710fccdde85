package dev.berth.engine.runtime.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.ExecRequest;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.logs.CriLog;
import dev.berth.engine.runtime.spec.ContainerSpec;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The same lifecycle with crun as the configured BinaryName. */
class CrunIT {
    @Test
    void crunRunsExecsAndReportsExits() throws Exception {
        try (RuntimeFixture fx = new RuntimeFixture("crun")) {
            String id = fx.id("crun");
            try {
                fx.runtime.create("default", id, fx.spec(id, ContainerSpec.builder().args("true").build()));
            } catch (BerthException e) {
                // crun 1.8 refuses hybrid nodes where any controller (here hugetlb) sits on the v2 tree
                assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
                assertTrue(e.getMessage().contains("/crun"), e.getMessage());
                Assumptions.abort("crun cannot run on this node: " + e.getMessage());
            }
            fx.runtime.delete("default", id, true);
            fx.run(id, ContainerSpec.builder().args("sh", "-c", "echo via-crun; sleep 1000")
                    .resources(Resources.NONE.withMemoryLimit(64L << 20)).build());
            long forks = fx.runtime.stateForks();
            assertEquals(TaskState.RUNNING, fx.runtime.state("default", id).state());
            assertEquals(forks + 1, fx.runtime.stateForks(), "runc's state files are not crun's: crun is asked");
            assertEquals(4, fx.runtime.exec("default", id, ExecRequest.of("sh", "-c", "exit 4")).exitCode());
            assertEquals(64L << 20, fx.runtime.limits("default", id).memoryLimit());
            assertEquals(137, fx.runtime.stop("default", id, Duration.ofMillis(300)).exitCode());
            assertTrue(CriLog.read(fx.runtime.logPath("default", id)).stream().anyMatch(e -> e.text().equals("via-crun")));
            fx.runtime.delete("default", id, false);
        }
    }
}
