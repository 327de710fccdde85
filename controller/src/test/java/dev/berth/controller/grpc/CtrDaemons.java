package dev.berth.controller.grpc;

import dev.berth.controller.ControllerSettings;
import dev.berth.controller.Daemon;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.runtime.TaskStatus;
import java.nio.file.Path;

/**
 * Set-up shared by the ITs that drive Debian's ctr against an in-process Berth daemon: a config
 * with everything under the test's directory (containerd's gRPC socket at
 * {@code <tmp>/state/containerd.sock}) and a cgroup parent of the test's own, and the clean-up that
 * leaves no task, mount or cgroup behind. Stateless.
 */
final class CtrDaemons {
    private CtrDaemons() {
    }

    /** The gRPC socket of a daemon started with {@link #config}. */
    static Path socket(Path tmp) {
        return tmp.resolve("state/containerd.sock");
    }

    static Config config(Path tmp, String cgroupParent, Path manifests) {
        return Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(CgroupSettings.CGROUP_PARENT, cgroupParent)
                .with(ControllerSettings.API_ADDRESS, tmp.resolve("state/berth.sock").toString())
                .with(ControllerSettings.GRPC_ADDRESS, socket(tmp).toString())
                .with(ControllerSettings.MANIFEST_DIR, manifests.toString());
    }

    /** Imports Berth's busybox test image into the store of {@code config} as {@code name}, before a daemon starts. */
    static void importBusybox(Config config, Path tmp, String name) throws Exception {
        dev.berth.engine.testing.OciImageBuilder.busybox().build().writeLayout(tmp.resolve("layout"), "latest");
        try (var e = dev.berth.engine.Engine.open(config)) {
            new dev.berth.engine.images.archive.ImageImporter(e.content(), e.images(), e.leases())
                    .importFrom(tmp.resolve("layout"), dev.berth.engine.images.archive.ImportOptions.defaults().withName(name));
        }
    }

    /**
     * Stops the daemon, then removes every task through a fresh engine (a reconciler still creating a
     * task while the daemon ran would add it after any earlier listing), the mounts under
     * {@code tmp} and the cgroup parent.
     */
    static void tearDown(Daemon daemon, Config config, Path tmp, String cgroupParent) throws Exception {
        try {
            if (daemon != null) {
                daemon.close();
            }
        } finally {
            try (var e = dev.berth.engine.Engine.open(config)) {
                for (TaskStatus t : e.runtime().list(null)) {
                    e.runtime().delete(t.namespace(), t.id(), true);
                }
            }
            MountTable.cleanUnder(tmp);
            dev.berth.engine.cgroups.Cgroups.host().removeEmpty(cgroupParent);
        }
    }
}
