package dev.berth.engine.hostpath;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.RuntimeSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostPathPolicyTest {
    @TempDir
    Path tmp;
    Path mounts;
    HostPathPolicy policy;

    @BeforeEach
    void setUp() throws Exception {
        mounts = Files.createDirectories(tmp.resolve("mounts"));
        Config config = Config.defaults()
                .with(HostPathSettings.MOUNT_PATH_ROOTS, List.of(mounts.toString(), "/mnt"))
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString());
        policy = HostPathPolicy.from(config, tmp.resolve("root"), tmp.resolve("mounts/state"));
        policy.protect(tmp.resolve("manifests"), "Berth's manifest directory (manifest_dir)");
    }

    private String refusedMount(String path) {
        BerthException e = assertThrows(BerthException.class, () -> policy.checkMountPath("spec.mountPath", path));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertTrue(e.getMessage().startsWith("spec.mountPath: host path " + path + " is refused: "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void mountPathsOnlyUnderTheConfiguredDirectories() {
        assertDoesNotThrow(() -> policy.checkMountPath("spec.mountPath", mounts.resolve("a/b").toString()));
        assertDoesNotThrow(() -> policy.checkMountPath("spec.mountPath", "/mnt/busybox"));
        String m = refusedMount(tmp.resolve("elsewhere").toString());
        assertTrue(m.contains("not under an allowed mount directory") && m.contains("mount_path_roots"), m);
    }

    @Test
    void systemDirectoriesAndTheirParentsAreNeverMountPaths() {
        for (String p : List.of("/", "/etc", "/etc/cron.d", "/proc/1", "/sys", "/dev/shm", "/run/x", "/boot",
                "/usr/lib", "/var")) {
            String m = refusedMount(p);
            assertTrue(m.contains("system directory"), m);
        }
    }

    @Test
    void berthsOwnDirectoriesAndTheirParentsAreNeverMountPaths() {
        assertTrue(refusedMount(mounts.resolve("state").toString()).contains("Berth's state directory"));
        assertTrue(refusedMount(mounts.resolve("state/tasks").toString()).contains("lies under Berth's state"));
        // the allowed directory itself contains the state directory here
        assertTrue(refusedMount(mounts.toString()).contains("contains Berth's state directory"));
    }

    @Test
    void aSymlinkUnderAnAllowedDirectoryIsJudgedByWhereItLeads() throws Exception {
        Files.createSymbolicLink(mounts.resolve("etc-link"), Path.of("/etc"));
        String m = refusedMount(mounts.resolve("etc-link/sub").toString());
        assertTrue(m.contains("system directory /etc"), m);
        Files.createSymbolicLink(mounts.resolve("out"), tmp.resolve("elsewhere"));
        Files.createDirectories(tmp.resolve("elsewhere"));
        assertTrue(refusedMount(mounts.resolve("out/x").toString()).contains("resolves to "));
    }

    @Test
    void bindSourcesRefusedForBerthsDirectoriesAndWarnedForSystemOnes() {
        for (String p : List.of(tmp.resolve("root").toString(), tmp.resolve("root/content").toString(),
                tmp.resolve("logs").toString(), tmp.resolve("manifests").toString(), tmp.toString(), "/")) {
            BerthException e = assertThrows(BerthException.class, () -> policy.checkBindSource("spec.mounts[0].source", p));
            assertTrue(e.getMessage().contains("must not see or change Berth's own files"), e.getMessage());
        }
        Optional<String> w = policy.checkBindSource("spec.mounts[1].source", "/etc/ssl");
        assertTrue(w.isPresent() && w.get().startsWith("spec.mounts[1].source: bind source /etc/ssl: it lies under "
                + "the system directory /etc"), w.toString());
        assertEquals(Optional.empty(), policy.checkBindSource("spec.mounts[2].source", mounts.resolve("data").toString()));
    }

    @Test
    void systemBindSourcesRefusedWhenConfigured() {
        HostPathPolicy strict = HostPathPolicy.from(Config.defaults()
                .with(HostPathSettings.REFUSE_SYSTEM_BIND_SOURCES, true), tmp.resolve("root"), tmp.resolve("state"));
        BerthException e = assertThrows(BerthException.class, () -> strict.checkBindSource("f", "/usr/share"));
        assertTrue(e.getMessage().contains("refuse_system_bind_sources"), e.getMessage());
    }
}
