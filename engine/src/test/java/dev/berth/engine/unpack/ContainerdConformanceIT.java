package dev.berth.engine.unpack;

import dev.berth.engine.testing.RootOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.mount.MountTable;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.snapshots.LocalSnapshotter;
import dev.berth.engine.testing.LayerTarBuilder;
import dev.berth.engine.testing.PrivateContainerd;
import dev.berth.engine.testing.TreeListing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The conformance test of the unpack issue: one image full of tricky entries is unpacked by Berth
 * and by a private containerd (the Debian package), and both mounted root file systems, and each
 * layer's snapshot directory, must be identical entry by entry.
 */
@RootOnly("needs root")
class ContainerdConformanceIT {
    private UnpackFixture f;
    private BothUnpackers both;
    private PrivateContainerd ctrd;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(PrivateContainerd.available(), "needs the containerd package");
        f = new UnpackFixture();
        both = new BothUnpackers(f);
    }

    @AfterEach
    void tearDown() {
        try {
            if (both != null) {
                both.close();
            }
        } finally {
            if (f != null) {
                f.close();
            }
        }
    }

    /** Guards the oracle: the listing has what the image put there, and most mtimes are compared exactly. */
    private static void assertMeaningful(Map<String, TreeListing.Entry> l, long since) {
        assertTrue(l.size() > 50, "only " + l.size() + " entries");
        assertTrue(l.get("/files/xattrs").line().contains("xattr.user.bin=0001fe0a"), l.get("/files/xattrs").line());
        assertTrue(l.get("/usr/bin/prog-link").line().contains("mode=4755"), l.get("/usr/bin/prog-link").line());
        assertTrue(l.get("/usr/bin/cap").line().contains("xattr.security.capability="), l.get("/usr/bin/cap").line());
        assertFalse(l.containsKey("/h/b"));
        assertFalse(l.containsKey("/opq/a"));
        long exact = l.values().stream().filter(e -> e.mtimeNanos() < since).count();
        assertTrue(exact > l.size() * 3 / 5, exact + " of " + l.size() + " mtimes compared exactly");
    }

    /** Stores an image of {@code layers} in Berth (unpacked) and in containerd; both must accept it. */
    private Unpacker.Result storeInBoth(String repo, List<LayerTarBuilder> layers) throws Exception {
        Unpacker.Result r = both.store(repo, layers).bothAccepted();
        ctrd = both.containerd();
        return r;
    }

    @Test
    void berthUnpacksExactlyWhatContainerdUnpacks() throws Exception {
        List<LayerTarBuilder> layers = ConformanceImage.layers();
        long since = System.currentTimeMillis() * 1_000_000L - 5_000_000_000L;
        Unpacker.Result r = storeInBoth("berth/conformance", layers);

        withBothMounted("berth/conformance:1", (berthMnt, ctrdMnt) -> {
            Map<String, TreeListing.Entry> expected = TreeListing.list(ctrdMnt);
            assertMeaningful(expected, since);
            List<String> diff = TreeListing.diff(expected, TreeListing.list(berthMnt), since);
            assertEquals(List.of(), diff, "merged root file systems differ (- containerd, + Berth):\n"
                    + String.join("\n", diff));
        });

        // each layer's snapshot directory: whiteout devices and opaque xattrs included
        String view = ctrd.ctr("snapshots", "--snapshotter", "overlayfs", "view", "--mounts", "oracle-view",
                r.chainId().toString());
        JsonNode m = OciJson.MAPPER.readTree(view).get(0);
        List<Path> ctrdLayers = new ArrayList<>();
        for (JsonNode o : m.get("Options")) {
            if (o.asString().startsWith("lowerdir=")) {
                for (String d : o.asString().substring("lowerdir=".length()).split(":")) {
                    ctrdLayers.add(0, Path.of(d));
                }
            }
        }
        assertEquals(layers.size(), ctrdLayers.size(), view);
        LocalSnapshotter sn = (LocalSnapshotter) f.engine.snapshotters().get("overlayfs");
        for (int i = 0; i < layers.size(); i++) {
            Path ours = sn.fsDir(r.layers().get(i).chainId().toString());
            Map<String, TreeListing.Entry> expected = TreeListing.list(ctrdLayers.get(i));
            if (i == 1) {
                assertTrue(expected.get("/h/b").line().contains("type=c") && expected.get("/h/b").line().contains("rdev=0:0"),
                        "containerd wrote a 0/0 whiteout: " + expected.get("/h/b"));
                assertTrue(expected.get("/opq").line().contains("xattr.trusted.overlay.opaque=79"), expected.get("/opq").line());
            }
            List<String> diff = TreeListing.diff(expected, TreeListing.list(ours), since);
            assertEquals(List.of(), diff, "layer " + (i + 1) + " snapshot directories differ (- containerd, + Berth):\n"
                    + String.join("\n", diff));
        }
        try {
            ctrd.ctr("snapshots", "--snapshotter", "overlayfs", "rm", "oracle-view");
        } catch (IllegalStateException e) {
            // a view made by ctr holds no lease: containerd's GC may have removed it already
            assertTrue(e.getMessage().contains("not found"), e.getMessage());
        }
        assertEquals(List.of(), MountTable.under(f.tmp).stream().map(x -> x.mountPoint().toString()).toList());
    }


    private void withBothMounted(String ref, BothUnpackers.BothMounted check) throws Exception {
        both.withBothMounted(ref, check);
    }

    private static List<String> rawListing(Path dir) throws Exception {
        return BothUnpackers.rawListing(dir);
    }

    @Test
    void namesAsBytesAndLinksIntoTheRootAsContainerd() throws Exception {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9};
        byte[] ff = {'n', (byte) 0xff};
        byte[] dir = {'d', (byte) 0xe0};
        byte[] longBinary = ("long/" + "x".repeat(120) + "\u00ff").getBytes(StandardCharsets.ISO_8859_1);
        LayerTarBuilder one = new LayerTarBuilder();
        one.dir("etc");
        one.file("etc/passwd", "root:x:0:0");
        one.hardlink("/etc/passwd-abs", "/etc/passwd");
        one.hardlink("./etc/passwd-dot", "./etc/passwd");
        one.file("/abs/file", "absolute name");
        one.file("x1", "latin-1").rawName(latin1);
        one.file("x2", "ff").rawName(ff);
        one.file("x3", "pax").pax("hdrcharset", "BINARY".getBytes(StandardCharsets.US_ASCII))
                .pax("path", new byte[] {'p', (byte) 0xfe, (byte) 0x80});
        one.file("x4", "long").pax("path", longBinary);
        one.symlink("sym", "x").rawLink(ff);
        one.hardlink("hard", "x").rawLink(latin1);
        one.dir("x5").rawName(new byte[] {'d', (byte) 0xe0, '/'});
        one.file("x6", "a").rawName(new byte[] {'d', (byte) 0xe0, '/', 'a', (byte) 0xf1});
        one.file("x7", "b").rawName(new byte[] {'d', (byte) 0xe0, '/', 'b'});
        LayerTarBuilder two = new LayerTarBuilder();
        two.file("x8", "").rawName(new byte[] {'.', 'w', 'h', '.', 'n', (byte) 0xff});
        two.file("x9", "").rawName(new byte[] {'d', (byte) 0xe0, '/', '.', 'w', 'h', '.', 'a', (byte) 0xf1});
        two.file("y1", "new").rawName(new byte[] {'d', (byte) 0xe0, '/', 'n', (byte) 0xe9});
        storeInBoth("berth/bytenames", List.of(one, two));

        withBothMounted("berth/bytenames:1", (berthMnt, ctrdMnt) -> {
            List<String> expected = rawListing(ctrdMnt);
            // the oracle really kept the bytes and linked inside the root
            assertTrue(expected.stream().anyMatch(e -> e.startsWith("caf\u00e9|f|")), expected.toString());
            assertTrue(expected.stream().anyMatch(e -> e.startsWith("etc/passwd-abs|f|") && e.endsWith("|3")),
                    expected.toString());
            assertFalse(expected.stream().anyMatch(e -> e.startsWith("n\u00ff|")), expected.toString());
            assertEquals(expected, rawListing(berthMnt), "merged trees (names as bytes) differ from containerd's");
        });
        assertEquals(List.of(), MountTable.under(f.tmp).stream().map(x -> x.mountPoint().toString()).toList());
    }
}
