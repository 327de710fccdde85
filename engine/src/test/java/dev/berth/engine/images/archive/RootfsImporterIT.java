package dev.berth.engine.images.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.snapshots.LocalSnapshotter;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.testing.TreeListing;
import dev.berth.engine.unpack.Unpacker;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Root file system import → unpack round trips: the unpacked tree equals the imported one. */
class RootfsImporterIT {
    private Path tmp;
    private Engine engine;
    private RootfsImporter importer;

    @BeforeEach
    void open() throws Exception {
        tmp = Files.createTempDirectory("berth-rootfs-import-");
        engine = Engine.open(Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString()));
        importer = new RootfsImporter(engine.content(), engine.images(), engine.leases(), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        MountTable.cleanUnder(tmp);
        engine.close();
        FileTree.deleteRecursively(tmp);
    }

    /** A tree with the attributes an import must keep; every mtime on a whole second. */
    private Path tree() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src.resolve("bin"));
        Files.createDirectories(src.resolve("etc/deep/er"));
        Files.createDirectories(src.resolve("tmp"));
        Files.createDirectories(src.resolve("home/user"));
        Files.writeString(src.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
        Files.writeString(src.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n");
        Files.writeString(src.resolve("home/user/notes"), "mine");
        Files.write(src.resolve("etc/deep/er/blob"), new byte[70_000]);
        Files.writeString(src.resolve("bin/suid"), "s");
        Sys.chmod(src.resolve("bin/tool"), 0755);
        Sys.chmod(src.resolve("bin/suid"), 04711);
        Sys.chmod(src.resolve("tmp"), 01777);
        Sys.chmod(src.resolve("home/user/notes"), 0600);
        Sys.lchown(src.resolve("home/user"), 1000, 1000);
        Sys.lchown(src.resolve("home/user/notes"), 1000, 100);
        Files.createLink(src.resolve("bin/tool-link"), src.resolve("bin/tool"));
        Files.createLink(src.resolve("etc/tool-hard"), src.resolve("bin/tool"));
        Sys.symlink("tool", src.resolve("bin/relative"));
        Sys.symlink("/bin/tool", src.resolve("bin/absolute"));
        Sys.symlink("../nowhere", src.resolve("etc/dangling"));
        Sys.lchown(src.resolve("etc/dangling"), 7, 8);
        Sys.mknod(src.resolve("etc/null"), Sys.S_IFCHR | 0666, 1, 3);
        Sys.mknod(src.resolve("tmp/fifo"), Sys.S_IFIFO | 0640, 0, 0);
        Files.writeString(src.resolve("etc/ünïcode name with a very long path component "
                + "x".repeat(120)), "long");
        Sys.setXattr(src.resolve("etc/passwd"), "user.comment", "hello".getBytes(StandardCharsets.UTF_8));
        Sys.setXattr(src.resolve("etc/deep"), "user.berth", "dir".getBytes(StandardCharsets.UTF_8));
        List<Path> all;
        try (Stream<Path> s = Files.walk(src)) {
            all = s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList();
        }
        long t = 1_600_000_000L;
        for (Path p : all) {
            long ns = (t++) * 1_000_000_000L;
            Sys.lutimes(p, ns, ns);
        }
        return src;
    }

    private Path unpacked(Image img) {
        Unpacker.Result r = engine.unpacker().unpack(img.name(), "overlayfs", Platforms.all());
        return ((LocalSnapshotter) engine.snapshotters().get("overlayfs")).fsDir(r.chainId().toString());
    }

    private static Map<String, TreeListing.Entry> listing(Path root) {
        Map<String, TreeListing.Entry> m = new java.util.TreeMap<>(TreeListing.list(root));
        m.remove("/");
        return m;
    }

    @Test
    void aDirectoryRoundTripsThroughImportAndUnpack() throws Exception {
        Path src = tree();
        Image img = importer.importRootfs(src, RootfsImportOptions.named("localhost/test/rootfs:1")
                .withCmd(List.of("/bin/tool")).withEnv(List.of("A=b")).withWorkingDir("/home/user").withUser("1000:1000"));

        ResolvedImage r = Images.resolve(engine.content(), img.target(), Platforms.defaultMatcher());
        assertEquals(1, r.layers().size());
        assertEquals(List.of("/bin/tool"), r.config().config().cmd());
        assertEquals(List.of("A=b"), r.config().config().env());
        assertEquals("/home/user", r.config().config().workingDir());
        assertEquals("1000:1000", r.config().config().user());
        assertEquals(Platforms.host().architecture(), r.config().architecture());
        assertTrue(engine.gc().collect(true).removed().isEmpty(), "the image holds everything it wrote: "
                + engine.gc().collect(true).removed());
        assertEquals(List.of(), engine.leases().list(), "the import's lease is gone");

        List<String> diff = TreeListing.diff(listing(src), listing(unpacked(img)), Long.MAX_VALUE);
        assertEquals(List.of(), diff);
    }

    @Test
    void aTarIsTakenAsTheLayerAndReimportingReplacesTheRecord() throws Exception {
        Path src = tree();
        Image first = importer.importRootfs(src, RootfsImportOptions.named("localhost/test/rootfs:1"));
        Path tar = tmp.resolve("rootfs.tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tar))) {
            RootfsTar.write(src, out);
        }
        Image second = importer.importRootfs(tar, RootfsImportOptions.named("localhost/test/rootfs:1"));
        ResolvedImage a = Images.resolve(engine.content(), first.target(), Platforms.all());
        ResolvedImage b = Images.resolve(engine.content(), second.target(), Platforms.all());
        assertEquals(a.diffIds(), b.diffIds(), "the same tree gives the same diff_id");
        assertEquals(second.target(), engine.images().get("localhost/test/rootfs:1").target());
        assertEquals(List.of(), TreeListing.diff(listing(src), listing(unpacked(second)), Long.MAX_VALUE));
    }

    @Test
    void badInputIsRefused() {
        BerthException e = assertThrows(BerthException.class,
                () -> importer.importRootfs(tmp.resolve("missing"), RootfsImportOptions.named("localhost/x:1")));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertThrows(BerthException.class, () -> importer.importRootfs(tmp, RootfsImportOptions.named(" ")));
    }
}
