package dev.berth.engine.snapshots.nativefs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.engine.fs.FileTree;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.snapshots.LocalSnapshotter;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.engine.snapshots.SnapshotterContract;
import dev.berth.engine.sys.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeSnapshotterIT extends SnapshotterContract {
    @Override
    protected Snapshotter open(Path root, MetadataStore store) {
        return new NativeSnapshotter(root, store, Clock.systemUTC());
    }

    @Test
    void prepareCopiesEverythingALayerCarries() throws Exception {
        sn.prepare("k", null, Map.of());
        Path fs = ((LocalSnapshotter) sn).fsDir("k");
        Path f = fs.resolve("f");
        Files.writeString(f, "data");
        Files.createLink(fs.resolve("hard"), f);
        Files.createSymbolicLink(fs.resolve("link"), Path.of("/etc/passwd"));
        Sys.mknod(fs.resolve("null"), Sys.S_IFCHR | 0666, 1, 3);
        Sys.lchown(f, 1000, 2000);
        Sys.chmod(f, 04755);
        Sys.setXattr(f, "user.k", new byte[] {1, (byte) 0xff, 0});
        Sys.lutimes(f, 1_000_000_000_123L, 1_500_000_000_456L);
        sn.commit("c", "k", Map.of());
        List<Mount> m = sn.prepare("child", "c", Map.of());
        assertEquals("bind", m.get(0).type());
        Path copy = ((LocalSnapshotter) sn).fsDir("child");
        FileTree.Stat st = FileTree.lstat(copy.resolve("f"));
        assertEquals(04755, st.mode() & 07777);
        assertEquals(1000, st.uid());
        assertEquals(2000, st.gid());
        assertEquals(1_500_000_000_456L, st.mtimeNanos());
        assertEquals(2, st.nlink());
        assertEquals(st.ino(), FileTree.lstat(copy.resolve("hard")).ino());
        assertEquals(Path.of("/etc/passwd"), Files.readSymbolicLink(copy.resolve("link")));
        assertEquals(Sys.makedev(1, 3), FileTree.lstat(copy.resolve("null")).rdev());
        assertArrayEquals(new byte[] {1, (byte) 0xff, 0}, Sys.getXattr(copy.resolve("f"), "user.k"));
    }
}
