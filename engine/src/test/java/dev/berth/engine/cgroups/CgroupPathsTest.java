package dev.berth.engine.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupPathsTest {
    @Test
    void cgroupfsPaths() {
        CgroupPaths p = new CgroupPaths(false, "");
        assertEquals("/default/web", p.specPath("default", "web"));
        assertEquals("default/web", p.relativePath("default", "web"));
        CgroupPaths parent = new CgroupPaths(false, "/berth/");
        assertEquals("/berth/k8s/web", parent.specPath("k8s", "web"));
        assertEquals("berth/k8s", parent.namespaceRelativePath("k8s"));
    }

    @Test
    void systemdPaths() {
        CgroupPaths p = new CgroupPaths(true, "");
        assertEquals("system.slice:berth:default-web", p.specPath("default", "web"));
        assertEquals("system.slice/berth-default-web.scope", p.relativePath("default", "web"));
        assertEquals("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-x.scope",
                CgroupPaths.toRelative("kubepods-burstable-pod1.slice:cri-containerd:x"));
        assertEquals("/x.scope", CgroupPaths.toRelative("-.slice::x"));
        assertThrows(BerthException.class, () -> CgroupPaths.toRelative("a:b"));
    }

    @Test
    void systemdDriverWithoutSystemdFailsNamingTheKey(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("proc/1"));
        Files.writeString(tmp.resolve("proc/1/comm"), "process_api\n");
        BerthException e = assertThrows(BerthException.class,
                () -> CgroupPaths.requireSystemd(tmp.resolve("proc"), tmp.resolve("run"), "/etc/berth/config.toml"));
        assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
        assertTrue(e.getMessage().contains("SystemdCgroup = false") && e.getMessage().contains("process_api")
                && e.getMessage().contains("/etc/berth/config.toml"), e.getMessage());
        Files.writeString(tmp.resolve("proc/1/comm"), "systemd\n");
        Files.createDirectories(tmp.resolve("run/systemd/system"));
        CgroupPaths.requireSystemd(tmp.resolve("proc"), tmp.resolve("run"), "x");
    }

    @Test
    void versionDetection(@TempDir Path tmp) throws Exception {
        assertEquals(CgroupVersion.V1, CgroupVersion.detect(tmp));
        Files.writeString(tmp.resolve("cgroup.controllers"), "memory pids\n");
        assertEquals(CgroupVersion.V2, CgroupVersion.detect(tmp));
    }
}
