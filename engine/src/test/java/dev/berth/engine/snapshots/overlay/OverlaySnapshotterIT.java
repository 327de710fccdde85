package dev.berth.engine.snapshots.overlay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.snapshots.LocalSnapshotter;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.engine.snapshots.SnapshotterContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OverlaySnapshotterIT extends SnapshotterContract {
    @Override
    protected Snapshotter open(Path root, MetadataStore store) {
        return new OverlaySnapshotter(root, store, Clock.systemUTC());
    }

    @Test
    void mountShapesFollowContainerd() throws Exception {
        List<Mount> empty = sn.prepare("a0", null, Map.of());
        assertEquals(List.of(new Mount("bind", fs("a0"), List.of("rw", "rbind"))), empty);
        sn.commit("l1", "a0", Map.of());
        sn.prepare("a1", "l1", Map.of());
        String l1 = fs("a1").replace(fs("a1"), ((LocalSnapshotter) sn).root().resolve("1/fs").toString());
        sn.commit("l2", "a1", Map.of());
        assertEquals(List.of(new Mount("bind", l1, List.of("ro", "rbind"))), sn.view("v1", "l1", Map.of()));
        Mount top = sn.prepare("a2", "l2", Map.of()).get(0);
        assertEquals("overlay", top.type());
        Path root = ((LocalSnapshotter) sn).root();
        assertEquals(List.of(root.resolve("2/fs"), root.resolve("1/fs")), top.lowerDirs(), "nearest parent first");
        assertEquals(fs("a2"), top.option("upperdir").orElseThrow());
        assertEquals(Path.of(fs("a2")).resolveSibling("work").toString(), top.option("workdir").orElseThrow());
        if (Files.exists(Path.of("/sys/module/overlay/parameters/index"))) {
            assertTrue(top.hasOption("index=off"), top.toString());
        }
        Mount view = sn.view("v2", "l2", Map.of()).get(0);
        assertTrue(view.option("upperdir").isEmpty(), "views have no upper dir: " + view);
    }

    /** 150 layers: the lowerdir option is far longer than a page and must still mount. */
    @Test
    void manyLayersMountDespiteThePageLimit() throws Exception {
        String parent = null;
        int n = 150;
        for (int i = 0; i < n; i++) {
            String key = "k" + i;
            sn.prepare(key, parent, Map.of());
            Files.writeString(Path.of(fs(key)).resolve("f" + i), Integer.toString(i));
            Files.writeString(Path.of(fs(key)).resolve("top"), Integer.toString(i));
            String name = "sha256:" + "%064d".formatted(i);
            sn.commit(name, key, Map.of());
            parent = name;
        }
        List<Mount> mounts = sn.prepare("rw", parent, Map.of());
        assertTrue(String.join(",", mounts.get(0).options()).length() > 4096);
        withMounted(mounts, r -> {
            assertEquals("149", Files.readString(r.resolve("top")));
            assertEquals("0", Files.readString(r.resolve("f0")));
            assertEquals("77", Files.readString(r.resolve("f77")));
            Files.writeString(r.resolve("new"), "n");
        });
        assertEquals("n", Files.readString(Path.of(fs("rw")).resolve("new")));
    }

    private String fs(String key) {
        return ((LocalSnapshotter) sn).fsDir(key).toString();
    }
}
