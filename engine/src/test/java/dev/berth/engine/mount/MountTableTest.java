package dev.berth.engine.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.Sys;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountTableTest {
    @Test
    void parsesMountinfoIncludingEscapesAndOptionalFields() {
        String text = """
                22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
                101 22 0:55 / /var/lib/berth/snap\\040shot/mnt rw,relatime shared:60 master:2 - overlay overlay rw,lowerdir=/a:/b,upperdir=/u,workdir=/w,index=off
                102 101 0:56 /sub /var/lib/berth/snap\\040shot/mnt/proc rw - proc proc rw
                """;
        List<MountInfo> ms = MountTable.parse(text);
        assertEquals(3, ms.size());
        MountInfo o = ms.get(1);
        assertEquals(101, o.id());
        assertEquals(22, o.parentId());
        assertEquals(Path.of("/var/lib/berth/snap shot/mnt"), o.mountPoint());
        assertEquals("overlay", o.fsType());
        assertEquals("overlay", o.source());
        assertTrue(o.superOptions().contains("lowerdir=/a:/b"));
        assertEquals("/sub", ms.get(2).root());
        assertTrue(ms.get(2).isAtOrUnder(Path.of("/var/lib/berth")));
        assertFalse(ms.get(0).isAtOrUnder(Path.of("/var/lib/berth")));
        assertThrows(BerthException.class, () -> MountTable.parse("1 2 3\n"));
    }

    @Test
    void optionsSplitIntoFlagsPropagationAndData() {
        MountOptions o = MountOptions.parse(List.of("ro", "rbind", "nosuid", "rprivate", "lowerdir=/a", "index=off"));
        assertEquals(Sys.MS_RDONLY | Sys.MS_BIND | Sys.MS_REC | Sys.MS_NOSUID, o.flags());
        assertEquals(Sys.MS_PRIVATE | Sys.MS_REC, o.propagation());
        assertEquals("lowerdir=/a,index=off", o.data());
        assertEquals(0, MountOptions.parse(List.of("ro", "rw")).flags(), "later options win");
    }

    @Test
    void commonParentOfLayerDirectories() {
        assertEquals(Path.of("/r/snapshots"),
                Mounter.commonParent(List.of("/r/snapshots/12/fs", "/r/snapshots/3/fs", "/r/snapshots/1/fs")));
        assertNull(Mounter.commonParent(List.of("/a/fs", "/b/fs")));
    }

    @Test
    void mountRecordOptions() {
        Mount m = new Mount("overlay", "overlay", List.of("workdir=/w", "upperdir=/u", "lowerdir=/l2:/l1", "index=off"));
        assertEquals("/u", m.option("upperdir").orElseThrow());
        assertEquals(List.of(Path.of("/l2"), Path.of("/l1")), m.lowerDirs());
        assertFalse(m.readOnly());
        assertTrue(new Mount("bind", "/x", List.of("ro", "rbind")).readOnly());
        assertThrows(BerthException.class, () -> new Mount("", "x", List.of()));
    }

    @Test
    void deviceNumbersRoundTrip() {
        for (int[] d : new int[][] {{0, 0}, {1, 3}, {7, 200}, {259, 65536}, {4095, 1 << 19}}) {
            long dev = Sys.makedev(d[0], d[1]);
            assertEquals(d[0], Sys.major(dev));
            assertEquals(d[1], Sys.minor(dev));
        }
    }
}
