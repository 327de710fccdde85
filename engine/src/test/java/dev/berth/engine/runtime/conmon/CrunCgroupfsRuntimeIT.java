package dev.berth.engine.runtime.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.TaskRuntimeContract;
import dev.berth.engine.runtime.spec.ContainerSpec;
import dev.berth.engine.runtime.spec.SpecGenerator;
import org.junit.jupiter.api.Assumptions;

/**
 * The TaskRuntime contract with crun as BinaryName and the cgroupfs driver. Skipped, with crun's own
 * reason, on a node crun refuses: crun 1.8 will not run on a v1 hybrid node where a controller
 * (hugetlb on the build machines) sits on the v2 tree.
 */
class CrunCgroupfsRuntimeIT extends TaskRuntimeContract {
    @Override
    protected Opened open() throws Exception {
        RuntimeFixture fx = new RuntimeFixture("crun");
        String probe = fx.id("probe");
        try {
            fx.runtime.create(NS, probe, SpecGenerator.generate(probe, ContainerSpec.builder().args("true").build(),
                    null, fx.rootfs, fx.runtime.cgroupPaths().specPath(NS, probe)));
            fx.runtime.delete(NS, probe, true);
        } catch (BerthException e) {
            fx.close();
            assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category(), e.getMessage());
            assertTrue(e.getMessage().contains("/crun"), e.getMessage());
            Assumptions.abort("crun cannot run on this node: " + e.getMessage());
        }
        return fx;
    }
}
