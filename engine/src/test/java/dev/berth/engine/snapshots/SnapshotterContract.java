package dev.berth.engine.snapshots;

import dev.berth.engine.testing.RootOnly;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.mount.MountTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The snapshotter contract (containerd's semantics), run by every implementation against real
 * directories and real mounts. Needs root.
 */
@RootOnly("needs root for mounts and chown")
public abstract class SnapshotterContract {
    protected Path tmp;
    protected MetadataStore store;
    protected Snapshotter sn;

    protected abstract Snapshotter open(Path root, MetadataStore store);

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("berth-sn-");
        store = MetadataStore.open(tmp.resolve("meta.db"));
        sn = open(tmp.resolve("snapshots"), store);
    }

    @AfterEach
    void tearDown() {
        if (tmp != null) {
            MountTable.cleanUnder(tmp);
            if (store != null) {
                store.close();
            }
            FileTree.deleteRecursively(tmp);
        }
    }

    /** Mounts {@code mounts} on a fresh directory, runs {@code body}, unmounts (always). */
    protected void withMounted(List<Mount> mounts, MountedWork body) throws Exception {
        Path target = Files.createTempDirectory(tmp, "mnt-");
        Mount.mountAll(mounts, target);
        try {
            body.run(target);
        } finally {
            MountTable.cleanUnder(tmp);
            dev.berth.engine.mount.Unmount.unmountAll(target);
        }
        assertFalse(MountTable.isMountPoint(target), "still mounted: " + target);
    }

    @FunctionalInterface
    protected interface MountedWork {
        void run(Path root) throws Exception;
    }

    protected static void assertCategory(ErrorCategory cat, Executable e) {
        BerthException ex = assertThrows(BerthException.class, e);
        assertEquals(cat, ex.category(), ex.getMessage());
    }

    /** Prepares key on parent, writes files (name → content, null deletes), commits as name. */
    protected void layer(String name, String parent, Map<String, String> files) throws Exception {
        String key = "extract-" + name;
        withMounted(sn.prepare(key, parent, Map.of()), root -> {
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path p = root.resolve(f.getKey());
                if (f.getValue() == null) {
                    FileTree.deleteRecursively(p);
                } else {
                    Files.createDirectories(p.getParent());
                    Files.writeString(p, f.getValue());
                }
            }
        });
        sn.commit(name, key, Map.of("layer", name));
    }

    @Test
    void prepareCommitStat() throws Exception {
        layer("base", null, Map.of("a.txt", "A"));
        SnapshotInfo info = sn.stat("base");
        assertEquals(Kind.COMMITTED, info.kind());
        assertNull(info.parent());
        assertEquals(Map.of("layer", "base"), info.labels());
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.stat("extract-base"));
        assertCategory(ErrorCategory.FAILED_PRECONDITION, () -> sn.mounts("base"));
    }

    @Test
    void findIsStatWithoutTheNotFoundError() throws Exception {
        layer("base", null, Map.of("a.txt", "A"));
        sn.prepare("child", "base", Map.of("k", "v"));
        assertEquals(sn.stat("base"), sn.find("base").orElseThrow());
        assertEquals(sn.stat("child"), sn.find("child").orElseThrow());
        assertEquals("base", sn.find("child").orElseThrow().parent());
        assertTrue(sn.find("extract-base").isEmpty());
        assertTrue(sn.exists("base") && sn.exists("child"), "exists answers as find does");
        assertFalse(sn.exists("extract-base"));
        sn.remove("child");
        assertTrue(sn.find("child").isEmpty());
        assertFalse(sn.exists("child"));
    }

    @Test
    void keysAndNamesShareOneSpace() throws Exception {
        layer("base", null, Map.of("a", "1"));
        assertCategory(ErrorCategory.ALREADY_EXISTS, () -> sn.prepare("base", null, Map.of()));
        sn.prepare("k", "base", Map.of());
        assertCategory(ErrorCategory.ALREADY_EXISTS, () -> sn.prepare("k", null, Map.of()));
        assertCategory(ErrorCategory.ALREADY_EXISTS, () -> sn.view("k", "base", Map.of()));
        assertCategory(ErrorCategory.ALREADY_EXISTS, () -> sn.commit("base", "k", Map.of()));
        sn.prepare("k2", null, Map.of());
        sn.commit("c2", "k2", null);
        assertEquals(Kind.COMMITTED, sn.stat("c2").kind());
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.commit("c3", "k2", null));
    }

    @Test
    void parentsMustExistAndBeCommitted() throws Exception {
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.prepare("k", "nope", Map.of()));
        sn.prepare("active", null, Map.of());
        assertCategory(ErrorCategory.FAILED_PRECONDITION, () -> sn.prepare("k", "active", Map.of()));
        sn.view("v", null, Map.of());
        assertCategory(ErrorCategory.FAILED_PRECONDITION, () -> sn.view("k", "v", Map.of()));
        assertCategory(ErrorCategory.FAILED_PRECONDITION, () -> sn.commit("x", "v", Map.of()));
        // failed prepares leave nothing behind
        List<String> names = new ArrayList<>();
        sn.walk(i -> names.add(i.name()));
        assertEquals(List.of("active", "v"), names);
        sn.cleanup();
        try (var ds = Files.list(((LocalSnapshotter) sn).root())) {
            assertEquals(2, ds.count());
        }
    }

    @Test
    void removeRefusesParentsWithChildren() throws Exception {
        layer("l1", null, Map.of("a", "1"));
        sn.prepare("child", "l1", Map.of());
        assertCategory(ErrorCategory.FAILED_PRECONDITION, () -> sn.remove("l1"));
        Path childDir = ((LocalSnapshotter) sn).fsDir("child").getParent();
        sn.remove("child");
        assertFalse(Files.exists(childDir));
        sn.remove("l1");
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.stat("l1"));
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.remove("l1"));
    }

    @Test
    void layersStackNearestParentWins() throws Exception {
        layer("l1", null, Map.of("a.txt", "one", "keep.txt", "keep", "gone.txt", "x"));
        layer("l2", "l1", Map.of("a.txt", "two"));
        java.util.HashMap<String, String> l3 = new java.util.HashMap<>();
        l3.put("gone.txt", null);
        l3.put("new/b.txt", "b");
        layer("l3", "l2", l3);
        assertEquals("l2", sn.stat("l3").parent());
        withMounted(sn.view("v", "l3", Map.of()), root -> {
            assertEquals("two", Files.readString(root.resolve("a.txt")));
            assertEquals("keep", Files.readString(root.resolve("keep.txt")));
            assertEquals("b", Files.readString(root.resolve("new/b.txt")));
            assertFalse(Files.exists(root.resolve("gone.txt")));
            assertThrows(java.io.IOException.class, () -> Files.writeString(root.resolve("ro"), "x"));
        });
        // a view of one layer shows it too
        withMounted(sn.view("v1", "l1", Map.of()), root ->
                assertEquals("one", Files.readString(root.resolve("a.txt"))));
        // an active on top is writable and does not change the parent
        withMounted(sn.prepare("rw", "l3", Map.of()), root -> Files.writeString(root.resolve("a.txt"), "three"));
        withMounted(sn.mounts("v"), root -> assertEquals("two", Files.readString(root.resolve("a.txt"))));
        withMounted(sn.mounts("rw"), root -> assertEquals("three", Files.readString(root.resolve("a.txt"))));
    }

    @Test
    void usageCountsOwnFilesOnly() throws Exception {
        byte[] mb = new byte[1 << 20];
        withMounted(sn.prepare("k", null, Map.of()), root -> Files.write(root.resolve("big"), mb));
        Usage active = sn.usage("k");
        assertTrue(active.size() >= mb.length, active.toString());
        assertEquals(2, active.inodes(), "the root and one file");
        sn.commit("big", "k", Map.of());
        assertEquals(active, sn.usage("big"));
        withMounted(sn.prepare("top", "big", Map.of()), root -> Files.writeString(root.resolve("small"), "s"));
        Usage top = sn.usage("top");
        if (!(sn instanceof dev.berth.engine.snapshots.nativefs.NativeSnapshotter)) {
            assertTrue(top.size() < mb.length, "parents are not counted: " + top);
        }
    }

    @Test
    void labelsUpdateAndSurviveReopen() throws Exception {
        sn.prepare("k", null, Map.of("a", "1"));
        SnapshotInfo updated = sn.updateLabels("k", Map.of("b", "2"));
        assertEquals(Map.of("b", "2"), updated.labels());
        assertTrue(!updated.updated().isBefore(updated.created()));
        Snapshotter again = open(tmp.resolve("snapshots"), store);
        assertEquals(Map.of("b", "2"), again.stat("k").labels());
        assertEquals(Kind.ACTIVE, again.stat("k").kind());
    }

    @Test
    void cleanupRemovesOrphanDirectories() throws Exception {
        sn.prepare("k", null, Map.of());
        Path root = ((LocalSnapshotter) sn).root();
        Files.createDirectories(root.resolve("999/fs/sub"));
        Files.createDirectories(root.resolve("new-123/fs"));
        sn.cleanup();
        assertFalse(Files.exists(root.resolve("999")));
        assertFalse(Files.exists(root.resolve("new-123")));
        assertTrue(Files.isDirectory(((LocalSnapshotter) sn).fsDir("k")));
    }

    @Test
    void committedContentIsKeptByteForByte() throws Exception {
        byte[] data = "héllo\0binary".getBytes(StandardCharsets.UTF_8);
        withMounted(sn.prepare("k", null, Map.of()), root -> Files.write(root.resolve("f"), data));
        sn.commit("c", "k", Map.of());
        withMounted(sn.view("v", "c", Map.of()), root -> assertArrayEquals(data, Files.readAllBytes(root.resolve("f"))));
    }

    @Test
    void unknownKeysAreNotFound() {
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.stat("x"));
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.mounts("x"));
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.usage("x"));
        assertCategory(ErrorCategory.NOT_FOUND, () -> sn.updateLabels("x", Map.of()));
        assertCategory(ErrorCategory.INVALID_ARGUMENT, () -> sn.prepare("", null, Map.of()));
    }
}
