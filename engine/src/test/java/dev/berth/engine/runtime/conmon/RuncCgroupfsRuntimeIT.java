package dev.berth.engine.runtime.conmon;

import dev.berth.engine.runtime.TaskRuntimeContract;

/** The TaskRuntime contract with runc under conmon and the cgroupfs driver (SystemdCgroup = false), on the host. */
class RuncCgroupfsRuntimeIT extends TaskRuntimeContract {
    @Override
    protected Opened open() throws Exception {
        return new RuntimeFixture("runc");
    }
}
