package dev.berth.engine.mount;

import dev.berth.engine.testing.RootOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.fs.FileTree;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.snapshots.overlay.OverlaySnapshotter;
import dev.berth.engine.sys.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Mounts left behind by a process that died (they outlive it) are found and removed. */
@RootOnly("needs root")
class StaleMountCleanupIT {
    private Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("berth-stale-");
    }

    @AfterEach
    void tearDown() {
        if (tmp != null) {
            MountTable.cleanUnder(tmp);
            FileTree.deleteRecursively(tmp);
        }
    }

    @Test
    void nestedAndStackedMountsUnderARootAreAllRemoved() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a dir"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        Sys.mount("berth-test", a, "tmpfs", 0, "size=1m");
        Files.createDirectories(a.resolve("inner"));
        Sys.mount("berth-test", a.resolve("inner"), "tmpfs", 0, "size=1m");
        new Mount("bind", a.toString(), List.of("ro", "rbind")).mount(b);
        new Mount("bind", a.toString(), List.of("rw", "bind")).mount(b);
        assertTrue(MountTable.under(tmp).size() >= 4, MountTable.under(tmp).toString());
        assertTrue(MountTable.isMountPoint(a), "escaped names (a space) are matched");

        List<Path> cleaned = MountTable.cleanUnder(tmp);
        assertTrue(cleaned.contains(a) && cleaned.contains(b), cleaned.toString());
        assertEquals(List.of(), MountTable.under(tmp));
        assertEquals(List.of(), MountTable.cleanUnder(tmp), "idempotent");
    }

    @Test
    void mountPointsAreRecognisedByDeviceOrByTheMountTable() throws Exception {
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        Path fs = Files.createDirectories(tmp.resolve("fs"));
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path bind = Files.createDirectories(tmp.resolve("bind"));
        assertFalse(MountTable.isMountPoint(plain));
        assertFalse(MountTable.isMountPoint(tmp.resolve("missing")));
        Sys.mount("berth-test", fs, "tmpfs", 0, "size=1m");
        // same device as its parent: only the mount table can tell
        new Mount("bind", src.toString(), List.of("rw", "bind")).mount(bind);
        try {
            assertTrue(MountTable.isMountPoint(fs), "another device than the parent");
            assertTrue(MountTable.isMountPoint(bind), "a bind mount from the same file system");
            assertFalse(MountTable.isMountPoint(src));
        } finally {
            Unmount.unmountAll(bind);
            Unmount.unmountAll(fs);
        }
        assertFalse(MountTable.isMountPoint(fs), "unmounted again");
        assertFalse(MountTable.isMountPoint(bind));
    }

    @Test
    void readOnlyBindIsReallyReadOnly() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path dst = Files.createDirectories(tmp.resolve("dst"));
        new Mount("bind", src.toString(), List.of("ro", "rbind")).mount(dst);
        try {
            assertTrue(MountTable.read().stream().filter(m -> m.mountPoint().equals(dst))
                    .allMatch(m -> m.options().startsWith("ro")));
            assertFalse(Files.isWritable(dst) && canWrite(dst));
        } finally {
            Unmount.unmountAll(dst);
        }
    }

    private static boolean canWrite(Path dir) {
        try {
            Files.writeString(dir.resolve("x"), "x");
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void snapshotRemovalAndCleanupUnmountWhatIsLeftInside() throws Exception {
        try (MetadataStore store = MetadataStore.open(tmp.resolve("meta.db"))) {
            OverlaySnapshotter sn = new OverlaySnapshotter(tmp.resolve("snapshots"), store, Clock.systemUTC());
            sn.prepare("k", null, Map.of());
            Path inside = Files.createDirectories(sn.fsDir("k").resolve("proc"));
            Sys.mount("berth-test", inside, "tmpfs", 0, "size=1m");
            Path snapDir = sn.fsDir("k").getParent();
            sn.remove("k");
            assertFalse(Files.exists(snapDir));
            assertEquals(List.of(), MountTable.under(tmp));

            Path orphan = Files.createDirectories(sn.root().resolve("77/fs/dev"));
            Sys.mount("berth-test", orphan, "tmpfs", 0, "size=1m");
            sn.cleanup();
            assertFalse(Files.exists(sn.root().resolve("77")));
            assertEquals(List.of(), MountTable.under(tmp));
        }
    }
}
