package dev.berth.engine.unpack;

import dev.berth.engine.testing.RootOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.snapshots.Kind;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.LayerTarBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unpack of stored images into both snapshotters, with real files and mounts. */
@RootOnly("needs root")
class UnpackerIT {
    private UnpackFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = new UnpackFixture();
    }

    @AfterEach
    void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    private static List<LayerTarBuilder> threeLayers() {
        LayerTarBuilder l1 = new LayerTarBuilder();
        l1.dir("etc");
        l1.file("etc/a", "a1");
        l1.file("etc/gone", "g");
        l1.file("opq/old", "old");
        l1.file("bin/tool", "t").mode(04755);
        l1.hardlink("bin/tool2", "bin/tool").mode(04755);
        LayerTarBuilder l2 = new LayerTarBuilder();
        l2.file("etc/a", "a2");
        l2.whiteout("etc/gone");
        l2.opaque("opq");
        l2.file("opq/new", "new");
        l2.file("bin/tool", "replaced");
        LayerTarBuilder l3 = new LayerTarBuilder();
        l3.file("usr/x", "x").owner(1000, 1000).xattr("user.k", "v");
        return List.of(l1, l2, l3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlayfs", "native"})
    void unpacksOncePerChainAndMountsTheMergedTree(String snapshotter) throws Exception {
        List<LayerTarBuilder> layers = threeLayers();
        f.store("test/img:1", layers, null);
        Unpacker u = f.engine.unpacker();
        assertFalse(u.isUnpacked("test/img:1", snapshotter, Platforms.defaultMatcher()));
        Unpacker.Result r = u.unpack("test/img:1", snapshotter, Platforms.defaultMatcher());
        List<Digest> chains = f.chainIds(layers);
        assertEquals(chains.get(2), r.chainId());
        assertEquals(3, r.applied());
        assertTrue(u.isUnpacked("test/img:1", snapshotter, Platforms.defaultMatcher()));
        List<SnapshotInfo> snaps = f.snapshots(snapshotter);
        assertEquals(chains.stream().map(Digest::toString).toList(), snaps.stream().map(SnapshotInfo::name).toList());
        assertTrue(snaps.stream().allMatch(s -> s.kind() == Kind.COMMITTED));
        assertEquals(chains.get(1).toString(), snaps.get(2).parent());

        assertEquals(0, u.unpack("test/img:1", snapshotter, Platforms.defaultMatcher()).applied(), "idempotent");
        // a second image sharing the two bottom layers reuses them
        LayerTarBuilder other = new LayerTarBuilder();
        other.file("other", "o");
        f.store("test/img:2", List.of(layers.get(0), layers.get(1), other), null);
        assertEquals(1, u.unpack("test/img:2", snapshotter, Platforms.defaultMatcher()).applied());

        Path dir = Files.createDirectories(f.tmp.resolve("mnt"));
        ImageMounter m = f.engine.imageMounter();
        m.mount("test/img:1", dir, snapshotter, Platforms.defaultMatcher(), false);
        try {
            assertEquals("a2", Files.readString(dir.resolve("etc/a")));
            assertFalse(Files.exists(dir.resolve("etc/gone")));
            assertFalse(Files.exists(dir.resolve("opq/old")));
            assertEquals("new", Files.readString(dir.resolve("opq/new")));
            assertEquals("replaced", Files.readString(dir.resolve("bin/tool")));
            assertEquals("t", Files.readString(dir.resolve("bin/tool2")), "the other name keeps the old inode");
            assertEquals(04755, FileTree.lstat(dir.resolve("bin/tool2")).mode() & 07777);
            assertEquals(1000, FileTree.lstat(dir.resolve("usr/x")).uid());
            assertEquals("v", new String(Sys.getXattr(dir.resolve("usr/x"), "user.k")));
        } finally {
            m.unmount(dir, snapshotter);
        }
        assertFalse(MountTable.isMountPoint(dir));
        assertEquals(4, f.snapshots(snapshotter).size(), "the mount's view is removed again");
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlayfs", "native"})
    void aHostileLayerLeavesNoPartialSnapshotAndNoUnpackedMark(String snapshotter) {
        LayerTarBuilder good = new LayerTarBuilder();
        good.file("ok", "ok");
        LayerTarBuilder bad = new LayerTarBuilder();
        bad.file("fine", "written before the bad entry");
        bad.hardlink("up/tmp/pwned", "no/such/file");
        Image img = f.store("test/bad:1", List.of(good, bad), null);
        Unpacker u = f.engine.unpacker();
        BerthException e = assertThrows(BerthException.class,
                () -> u.unpack("test/bad:1", snapshotter, Platforms.defaultMatcher()));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
        assertTrue(e.getMessage().contains("up/tmp/pwned"), e.getMessage());
        List<SnapshotInfo> snaps = f.snapshots(snapshotter);
        assertEquals(1, snaps.size(), "only the complete bottom layer stays: " + snaps);
        assertEquals(Kind.COMMITTED, snaps.get(0).kind());
        assertFalse(u.isUnpacked("test/bad:1", snapshotter, Platforms.defaultMatcher()));
        assertFalse(Files.exists(Path.of("/tmp/pwned")));
        assertEquals(img.name(), f.engine.images().get("test/bad:1").name());
        assertNoScratchLeft(snapshotter);
    }

    private void assertNoScratchLeft(String snapshotter) {
        Path root = ((dev.berth.engine.snapshots.LocalSnapshotter) f.engine.snapshotters().get(snapshotter)).root();
        try (java.util.stream.Stream<Path> s = Files.list(root)) {
            List<String> names = s.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().allMatch(n -> n.matches("[0-9]+")), "leftovers: " + names);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Layers applied side by side end up exactly as layers applied one after another. */
    @org.junit.jupiter.api.Test
    void parallelAndSequentialUnpackGiveIdenticalLayers() throws Exception {
        List<LayerTarBuilder> layers = ConformanceImage.layers();
        try (UnpackFixture other = new UnpackFixture()) {
            long since = System.currentTimeMillis() * 1_000_000L - 5_000_000_000L;
            f.store("test/conf:1", layers, null);
            other.store("test/conf:1", layers, null);
            Unpacker sequential = new Unpacker(f.engine.content(), f.engine.images(), f.engine.snapshotters(),
                    new dev.berth.engine.diff.TarApplier(Long.MAX_VALUE), 1);
            Unpacker parallel = new Unpacker(other.engine.content(), other.engine.images(),
                    other.engine.snapshotters(), new dev.berth.engine.diff.TarApplier(Long.MAX_VALUE), 3);
            Unpacker.Result a = sequential.unpack("test/conf:1", "overlayfs", Platforms.defaultMatcher());
            Unpacker.Result b = parallel.unpack("test/conf:1", "overlayfs", Platforms.defaultMatcher());
            assertEquals(a.chainId(), b.chainId());
            assertEquals(3, b.applied());
            var sa = (dev.berth.engine.snapshots.LocalSnapshotter) f.engine.snapshotters().get("overlayfs");
            var sb = (dev.berth.engine.snapshots.LocalSnapshotter) other.engine.snapshotters().get("overlayfs");
            for (Unpacker.Layer l : a.layers()) {
                List<String> diff = dev.berth.engine.testing.TreeListing.diff(
                        dev.berth.engine.testing.TreeListing.list(sa.fsDir(l.chainId().toString())),
                        dev.berth.engine.testing.TreeListing.list(sb.fsDir(l.chainId().toString())), since);
                assertEquals(List.of(), diff, "layer " + l.chainId() + " differs (- sequential, + parallel):\n"
                        + String.join("\n", diff));
            }
            // the fix-up really ran: data/ made implicitly in layer 2 took mode and owner from layer 1
            FileTree.Stat data = FileTree.lstat(sb.fsDir(b.layers().get(1).chainId().toString()).resolve("data"));
            assertEquals(0700, data.mode() & 07777);
            assertEquals(5, data.uid());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlayfs", "native"})
    void aDiffIdMismatchFailsAndCleansUp(String snapshotter) {
        LayerTarBuilder l = new LayerTarBuilder();
        l.file("f", "data");
        f.store("test/lie:1", List.of(l), List.of(Digest.sha256("something else")));
        BerthException e = assertThrows(BerthException.class,
                () -> f.engine.unpacker().unpack("test/lie:1", snapshotter, Platforms.defaultMatcher()));
        assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
        assertTrue(e.getMessage().contains("diff_id"), e.getMessage());
        assertEquals(List.of(), f.snapshots(snapshotter));
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlayfs", "native"})
    void hardlinkToALowerLayerIsRefusedCleanly(String snapshotter) {
        LayerTarBuilder l1 = new LayerTarBuilder();
        l1.file("lower", "l");
        LayerTarBuilder l2 = new LayerTarBuilder();
        l2.hardlink("link", "lower");
        f.store("test/hl:1", List.of(l1, l2), null);
        if (snapshotter.equals("native")) {
            // a full copy has the target, so the link is made inside the snapshot, as containerd does
            f.engine.unpacker().unpack("test/hl:1", snapshotter, Platforms.defaultMatcher());
            return;
        }
        BerthException e = assertThrows(BerthException.class,
                () -> f.engine.unpacker().unpack("test/hl:1", snapshotter, Platforms.defaultMatcher()));
        assertTrue(e.getMessage().contains("does not contain"), e.getMessage());
        assertEquals(1, f.snapshots(snapshotter).size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlayfs", "native"})
    void unpacksImagesFromTheSharedBuilder(String snapshotter) throws Exception {
        BuiltImage img = OciImageBuilder.busybox()
                .layer(LayerBuilder.create().compression(LayerBuilder.Compression.ZSTD))
                .build();
        img.writeTo(f.engine.content());
        f.engine.images().create(Image.of("test/busybox:1", img.target()));
        Unpacker.Result r = f.engine.unpacker().unpack("test/busybox:1", snapshotter, Platforms.defaultMatcher());
        assertEquals(2, r.layers().size());
        Path dir = Files.createDirectories(f.tmp.resolve("bb"));
        ImageMounter m = f.engine.imageMounter();
        m.mount("test/busybox:1", dir, snapshotter, Platforms.defaultMatcher(), true);
        try {
            assertTrue(Files.isExecutable(dir.resolve("bin/busybox")));
            assertEquals("busybox", Files.readSymbolicLink(dir.resolve("bin/sh")).toString());
            Files.writeString(dir.resolve("tmp/rw"), "writable");
        } finally {
            m.unmount(dir, snapshotter);
        }
    }
}
