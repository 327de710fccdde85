package dev.berth.engine.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.RootOnly;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kept-descriptor sampler on the node's real cgroup v1 files: a re-read from offset 0 returns
 * the kernel's new value (a process moved in), and a removed cgroup reads as gone with its files closed.
 */
@RootOnly("makes cgroups under /sys/fs/cgroup")
class CgroupSamplerIT {
    @TempDir
    Path tmp;

    @Test
    void rereadsTheKernelsValuesAndNoticesARemovedCgroup() throws Exception {
        Cgroups cg = Cgroups.host();
        org.junit.jupiter.api.Assumptions.assumeTrue(cg.version() == CgroupVersion.V1, "this node runs cgroup v1");
        String rel = "/berth-sampler-it-" + UUID.randomUUID().toString().substring(0, 8);
        Process sleeper = null;
        try (HostCleanup cleanup = HostCleanup.under(tmp).cgroup(rel); CgroupSampler s = cg.sampler()) {
            for (String c : List.of("memory", "pids", "cpu", "cpuacct", "blkio")) {
                Files.createDirectories(Path.of("/sys/fs/cgroup", c, rel));
            }
            assertEquals(0, value(s.sample(rel), "container_pids_current"));
            sleeper = new ProcessBuilder("sleep", "600").start();
            for (String c : List.of("memory", "pids")) {
                Files.writeString(Path.of("/sys/fs/cgroup", c, rel, "cgroup.procs"), Long.toString(sleeper.pid()));
            }
            assertEquals(1, value(s.sample(rel), "container_pids_current"), "the kept file shows the kernel's new count");
            assertTrue(s.openFiles() > 10, "descriptors kept: " + s.openFiles());

            sleeper.destroyForcibly();
            assertTrue(sleeper.waitFor(30, TimeUnit.SECONDS));
            cg.removeEmpty(rel);
            assertEquals(List.of(), s.sample(rel), "a removed cgroup reads as gone");
            assertEquals(0, s.openFiles(), "and its descriptors are closed");
        } finally {
            if (sleeper != null) {
                sleeper.destroyForcibly();
            }
        }
    }

    private static double value(List<CgroupSample> s, String name) {
        return s.stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " missing in " + s)).value();
    }
}
