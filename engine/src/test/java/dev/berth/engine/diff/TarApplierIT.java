package dev.berth.engine.diff;

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
import dev.berth.engine.mount.Mount;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.testing.LayerTarBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Layer application into a plain directory (the native/first-layer path) with real files, as root. */
@RootOnly("needs root for chown and mknod")
class TarApplierIT {
    private Path tmp;
    private Path root;
    private Path outside;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("berth-apply-");
        root = Files.createDirectories(tmp.resolve("a/b/root"));
        outside = Files.createDirectories(tmp.resolve("outside"));
    }

    @AfterEach
    void tearDown() {
        if (tmp != null) {
            FileTree.deleteRecursively(tmp);
        }
    }

    private AppliedLayer apply(byte[] blob, String mediaType, long limit) {
        Descriptor d = Descriptor.of(mediaType, Digest.sha256(blob), blob.length);
        return new TarApplier(limit).apply(d, new ByteArrayInputStream(blob),
                List.of(new Mount("bind", root.toString(), List.of("rw", "rbind"))));
    }

    private AppliedLayer apply(byte[] tar) {
        return apply(tar, MediaTypes.OCI_LAYER, Long.MAX_VALUE);
    }

    @Test
    void appliesEveryEntryTypeWithItsMetadata() throws Exception {
        LayerTarBuilder b = new LayerTarBuilder();
        b.dir("etc").mode(0750).owner(0, 42).mtime(1_600_000_000L);
        b.file("etc/conf", "hello").mode(0640).owner(1000, 1001).mtimeNanos(1_650_000_000_123_456_789L);
        b.file("bin/su", "su").mode(04755).owner(0, 0);
        b.file("bin/sg", "sg").mode(02755).owner(1000, 50);
        b.dir("tmp").mode(01777);
        b.symlink("etc/rel", "../bin/su").owner(5, 6).mtime(1_500_000_000L);
        b.symlink("etc/abs", "/bin/su//x/");
        b.hardlink("bin/su2", "bin/su").mode(04755);
        b.fifo("run/fifo").mode(0600);
        b.charDevice("dev/null", 1, 3);
        b.blockDevice("dev/loop200", 7, 200);
        b.file("x", "y").owner(3_000_000, 3_000_001)
                .xattr("user.bin", new byte[] {0, (byte) 0xff, 10, '='})
                .xattr("trusted.overlay.opaque", "y");
        b.file("a".repeat(150) + "/" + "n".repeat(120), "long");
        AppliedLayer r = apply(b.tar());
        assertEquals(13, r.entries());

        FileTree.Stat etc = FileTree.lstat(root.resolve("etc"));
        assertEquals(0750, etc.mode() & 07777);
        assertEquals(42, etc.gid());
        assertEquals(1_600_000_000_000_000_000L, etc.mtimeNanos(), "directory times are set after its entries");
        FileTree.Stat conf = FileTree.lstat(root.resolve("etc/conf"));
        assertEquals(0640, conf.mode() & 07777);
        assertEquals(1000, conf.uid());
        assertEquals(1001, conf.gid());
        assertEquals(1_650_000_000_123_456_789L, conf.mtimeNanos());
        assertEquals(04755, FileTree.lstat(root.resolve("bin/su")).mode() & 07777);
        FileTree.Stat sg = FileTree.lstat(root.resolve("bin/sg"));
        assertEquals(02755, sg.mode() & 07777, "chmod comes after chown, so setgid survives");
        assertEquals(01777, FileTree.lstat(root.resolve("tmp")).mode() & 07777);
        assertEquals("../bin/su", Files.readSymbolicLink(root.resolve("etc/rel")).toString());
        FileTree.Stat rel = FileTree.lstat(root.resolve("etc/rel"));
        assertEquals(5, rel.uid());
        assertEquals(1_500_000_000_000_000_000L, rel.mtimeNanos(), "symlink times are its own");
        assertEquals(FileTree.lstat(root.resolve("bin/su")).ino(), FileTree.lstat(root.resolve("bin/su2")).ino());
        assertEquals(0010000, FileTree.lstat(root.resolve("run/fifo")).type());
        FileTree.Stat dev = FileTree.lstat(root.resolve("dev/null"));
        assertEquals(0020000, dev.type());
        assertEquals(Sys.makedev(1, 3), dev.rdev());
        assertEquals(Sys.makedev(7, 200), FileTree.lstat(root.resolve("dev/loop200")).rdev());
        FileTree.Stat x = FileTree.lstat(root.resolve("x"));
        assertEquals(3_000_000, x.uid());
        assertEquals(3_000_001, x.gid());
        assertArrayEquals(new byte[] {0, (byte) 0xff, 10, '='}, Sys.getXattr(root.resolve("x"), "user.bin"));
        assertNull(Sys.getXattr(root.resolve("x"), "trusted.overlay.opaque"), "trusted.* never comes from a layer");
        assertEquals("long", Files.readString(root.resolve("a".repeat(150) + "/" + "n".repeat(120))));
        FileTree.Stat made = FileTree.lstat(root.resolve("bin"));
        assertEquals(0755, made.mode() & 07777, "missing parents are created 0755");
    }

    @Test
    void ownersAreTheHeadersEvenWhereADirectoryWouldGiveAnotherGroup() throws Exception {
        // the writer skips lchown for new entries the kernel already gives the header's owner; a
        // setgid directory hands its group to new entries, so those need it unless the groups match
        LayerTarBuilder b = new LayerTarBuilder();
        b.dir("sg").mode(02775).owner(0, 77);
        b.file("sg/root-group", "a").owner(0, 0);
        b.file("sg/dir-group", "b").owner(0, 77);
        b.dir("sg/sub").mode(0755).owner(0, 0);
        b.file("sg/sub/f", "c").owner(0, 0);
        b.dir("plain").mode(0755).owner(0, 88);
        b.file("plain/f", "d").owner(0, 0);
        b.file("plain/g", "e").owner(0, 88);
        b.fifo("sg/fifo").owner(0, 0);
        b.symlink("sg/link", "root-group").owner(0, 0);
        apply(b.tar());
        for (String p : List.of("sg/root-group", "sg/sub", "sg/sub/f", "plain/f", "sg/fifo", "sg/link")) {
            assertEquals(0, FileTree.lstat(root.resolve(p)).gid(), p);
        }
        assertEquals(77, FileTree.lstat(root.resolve("sg/dir-group")).gid());
        assertEquals(88, FileTree.lstat(root.resolve("plain/g")).gid());
        assertEquals(0755, FileTree.lstat(root.resolve("sg/sub")).mode() & 07777, "setgid not inherited");
    }

    @Test
    void symlinkTextIsWrittenVerbatim() throws Exception {
        LayerTarBuilder b = new LayerTarBuilder();
        b.symlink("l", "/bin/su//x/");
        apply(b.tar());
        byte[] text = Files.readSymbolicLink(root.resolve("l")).toString().getBytes(StandardCharsets.UTF_8);
        // the JDK may normalise on read; compare with the raw link via its size
        assertEquals("/bin/su//x/".length(), FileTree.lstat(root.resolve("l")).size());
        assertTrue(text.length > 0);
    }

    @Test
    void diffIdIsTheSameForEveryCompressionAndCoversTrailingBytes() {
        LayerTarBuilder b = new LayerTarBuilder();
        b.file("f", "content");
        b.trailing(new byte[] {1, 2, 3});
        byte[] tar = b.tar();
        Digest want = Digest.sha256(tar);
        assertEquals(want, apply(tar).diffId());
        FileTree.deleteRecursively(root.resolve("f"));
        AppliedLayer gz = apply(b.gzip(), MediaTypes.OCI_LAYER_GZIP, Long.MAX_VALUE);
        assertEquals(want, gz.diffId());
        assertEquals(tar.length, gz.uncompressedSize());
        FileTree.deleteRecursively(root.resolve("f"));
        assertEquals(want, apply(b.zstd(), MediaTypes.OCI_LAYER_ZSTD, Long.MAX_VALUE).diffId());
        FileTree.deleteRecursively(root.resolve("f"));
        // Docker's plain media type is sniffed
        assertEquals(want, apply(b.gzip(), MediaTypes.DOCKER_LAYER, Long.MAX_VALUE).diffId());
    }

    @Test
    void decompressionBombIsStoppedAtTheLimit() {
        LayerTarBuilder b = new LayerTarBuilder();
        b.file("zeros", new byte[8 << 20]);
        byte[] gz = b.gzip();
        assertTrue(gz.length < 100_000);
        BerthException e = assertThrows(BerthException.class,
                () -> apply(gz, MediaTypes.OCI_LAYER_GZIP, 1 << 20));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertTrue(e.getMessage().contains("max_layer_unpacked_size"), e.getMessage());
        long written = FileTree.usage(root)[0];
        assertTrue(written < 2 << 20, "stopped near the limit, wrote " + written);
    }

    @Test
    void truncatedAndCorruptLayersFailClearly() {
        LayerTarBuilder b = new LayerTarBuilder();
        b.file("f", new byte[5000]);
        byte[] tar = b.tar();
        byte[] cut = java.util.Arrays.copyOf(tar, 1500);
        BerthException e = assertThrows(BerthException.class, () -> apply(cut));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        byte[] garbage = "this is not a tar archive at all".repeat(40).getBytes(StandardCharsets.UTF_8);
        BerthException g = assertThrows(BerthException.class, () -> apply(garbage));
        assertTrue(g.getMessage().contains("checksum"), g.getMessage());
        byte[] gz = b.gzip();
        gz[gz.length / 2] ^= 0x55;
        assertThrows(BerthException.class, () -> apply(gz, MediaTypes.OCI_LAYER_GZIP, Long.MAX_VALUE));
    }

    @Test
    void existingPathsAreReplacedButDirectoriesMerge() throws Exception {
        LayerTarBuilder one = new LayerTarBuilder();
        one.file("d/keep", "k");
        one.dir("f");
        one.file("f/inner", "i");
        apply(one.tar());
        LayerTarBuilder two = new LayerTarBuilder();
        two.dir("d").mode(0700);
        two.file("f", "now a file");
        apply(two.tar());
        assertEquals("k", Files.readString(root.resolve("d/keep")));
        assertEquals(0700, FileTree.lstat(root.resolve("d")).mode() & 07777);
        assertEquals("now a file", Files.readString(root.resolve("f")));
    }

    @Test
    void naiveWhiteoutsDelete() throws Exception {
        LayerTarBuilder one = new LayerTarBuilder();
        one.file("a/x", "x");
        one.file("a/y", "y");
        one.file("o/old", "old");
        one.file("gone/deep/f", "f");
        apply(one.tar());
        LayerTarBuilder two = new LayerTarBuilder();
        two.file("o/new", "new");
        two.opaque("o");
        two.whiteout("a/x");
        two.whiteout("gone");
        apply(two.tar());
        assertFalse(Files.exists(root.resolve("a/x")));
        assertTrue(Files.exists(root.resolve("a/y")));
        assertFalse(Files.exists(root.resolve("o/old")));
        assertEquals("new", Files.readString(root.resolve("o/new")), "opaque keeps what this layer wrote, in any order");
        assertFalse(Files.exists(root.resolve("gone")));
        assertFalse(Files.exists(root.resolve(".wh.gone")));
    }

    /** Names, parents and links that climb with '..': they stop at the root, as in containerd (issue 12). */
    static Stream<Arguments> climbing() {
        return Stream.of(
                Arguments.of("dot-dot name", (Consumer<LayerTarBuilder>) b -> b.file("../../../outside/pwned", "x")),
                Arguments.of("dot-dot inside name", (Consumer<LayerTarBuilder>) b -> b.file("a/../../outside/pwned", "x")),
                Arguments.of("symlinked parent climbing out", (Consumer<LayerTarBuilder>) b -> {
                    b.symlink("up", "../../../outside");
                    b.file("up/pwned", "x");
                }),
                Arguments.of("chained symlinks climbing out", (Consumer<LayerTarBuilder>) b -> {
                    b.dir("d");
                    b.symlink("d/l1", "..");
                    b.symlink("l2", "d/l1/../..");
                    b.file("l2/outside/pwned", "x");
                }),
                Arguments.of("directory replaced by a symlink, then written through", (Consumer<LayerTarBuilder>) b -> {
                    b.file("d/x", "x");
                    b.symlink("d", "../../..");
                    b.file("d/outside/pwned", "x");
                }),
                Arguments.of("hardlink climbing to a file of the layer", (Consumer<LayerTarBuilder>) b -> {
                    b.file("outside/pwned", "x");
                    b.hardlink("link", "../../../outside/pwned");
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("climbing")
    void climbingNamesAndLinksLandInsideTheRoot(String what, Consumer<LayerTarBuilder> build) throws Exception {
        Files.writeString(outside.resolve("secret"), "s");
        LayerTarBuilder b = new LayerTarBuilder();
        build.accept(b);
        apply(b.tar());
        assertEquals("x", Files.readString(root.resolve("outside/pwned")), "written inside the root");
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(List.of(outside.resolve("secret")), s.toList(), "nothing written outside the root");
        }
        assertFalse(Files.exists(Path.of("/outside/pwned")));
        assertEquals(1, Files.getAttribute(outside.resolve("secret"), "unix:nlink"));
    }

    static Stream<Arguments> hostile() {
        return Stream.of(
                Arguments.of("hardlink climbing out", (Consumer<LayerTarBuilder>) b ->
                        b.hardlink("passwd", "../../../outside/secret")),
                Arguments.of("hardlink absolute, to a file the layer lacks", (Consumer<LayerTarBuilder>) b ->
                        b.hardlink("passwd", "/etc/passwd")),
                Arguments.of("hardlink through symlinked dir", (Consumer<LayerTarBuilder>) b -> {
                    b.symlink("up", "../../..");
                    b.hardlink("secret", "up/outside/secret");
                }),
                Arguments.of("invalid whiteout", (Consumer<LayerTarBuilder>) b -> b.file("a/.wh..", "")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void hostileLayersAreRefusedAndWriteNothingOutside(String what, Consumer<LayerTarBuilder> build) throws Exception {
        Files.writeString(outside.resolve("secret"), "s");
        LayerTarBuilder b = new LayerTarBuilder();
        build.accept(b);
        BerthException e = assertThrows(BerthException.class, () -> apply(b.tar()));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(List.of(outside.resolve("secret")), s.toList(), "nothing written outside the root");
        }
        assertFalse(Files.exists(Path.of("/tmp/pwned")));
        assertEquals(1, Files.getAttribute(outside.resolve("secret"), "unix:nlink"));
    }

    @Test
    void absoluteSymlinksAsParentsStayInsideTheRoot() throws Exception {
        LayerTarBuilder b = new LayerTarBuilder();
        b.dir("usr/lib");
        b.symlink("lib", "/usr/lib");
        b.file("lib/libc.so", "c");
        apply(b.tar());
        assertEquals("c", Files.readString(root.resolve("usr/lib/libc.so")));
    }

    @Test
    void absoluteNamesAndHardlinkTargetsResolveInsideTheRoot() throws Exception {
        LayerTarBuilder b = new LayerTarBuilder();
        b.file("etc/passwd", "root:x:0:0");
        String unique = "/tmp/berth-inside-" + System.nanoTime();
        b.file(unique, "x");
        b.hardlink("etc/passwd-abs", "/etc/passwd");
        b.hardlink("etc/passwd-dot", "./etc/passwd");
        b.hardlink("etc/passwd-dotslash-abs", "/./etc//passwd");
        apply(b.tar());
        assertEquals("x", Files.readString(root.resolve(unique.substring(1))));
        assertFalse(Files.exists(Path.of(unique)), "nothing written at the host's path");
        Object ino = Files.getAttribute(root.resolve("etc/passwd"), "unix:ino");
        for (String l : List.of("etc/passwd-abs", "etc/passwd-dot", "etc/passwd-dotslash-abs")) {
            assertEquals(ino, Files.getAttribute(root.resolve(l), "unix:ino"), l + " links the image's own file");
        }
        assertEquals(4, Files.getAttribute(root.resolve("etc/passwd"), "unix:nlink"));
        assertEquals(1, Files.getAttribute(Path.of("/etc/passwd"), "unix:nlink"), "the host's file is untouched");
    }

    @Test
    void namesThatAreNotUtf8ReachTheDiskAsTheirExactBytes() throws Exception {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9};
        byte[] ff = {'n', (byte) 0xff};
        byte[] paxBinary = {'d', '/', 'p', (byte) 0xfe, (byte) 0x80};
        LayerTarBuilder b = new LayerTarBuilder();
        b.dir("d");
        b.file("x1", "latin-1").rawName(latin1);
        b.file("x2", "ff").rawName(ff);
        b.file("x3", "pax").pax("hdrcharset", "BINARY".getBytes(StandardCharsets.US_ASCII)).pax("path", paxBinary);
        b.symlink("sym", "x").rawLink(ff);
        b.hardlink("hard", "x").rawLink(latin1);
        b.dir("x4").rawName(new byte[] {'o', (byte) 0xe0, '/'});
        b.file("x5", "in").rawName(new byte[] {'o', (byte) 0xe0, '/', 'f'});
        b.whiteout("x6").rawName(new byte[] {'o', (byte) 0xe0, '/', '.', 'w', 'h', '.', 'f'});
        apply(b.tar());
        // listed by find(1), which prints names as the kernel has them
        Process p = new ProcessBuilder("find", root.toString(), "-mindepth", "1", "-printf", "%P|%y|%l\\0")
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        java.util.Set<String> got = new java.util.TreeSet<>();
        for (String e : new String(out, StandardCharsets.ISO_8859_1).split("\0")) {
            got.add(e);
        }
        java.util.Set<String> want = new java.util.TreeSet<>(List.of("d|d|", "caf\u00e9|f|", "n\u00ff|f|",
                "d/p\u00fe\u0080|f|", "sym|l|n\u00ff", "hard|f|", "o\u00e0|d|"));
        assertEquals(want, got, "names on disk, bytes shown as Latin-1");
        assertEquals(2, Files.getAttribute(root.resolve("hard"), "unix:nlink"));
        // and messages show such bytes escaped
        LayerTarBuilder bad = new LayerTarBuilder();
        bad.hardlink("h2", "x").rawLink(new byte[] {'m', 'i', 's', 's', (byte) 0xff});
        BerthException e = assertThrows(BerthException.class, () -> apply(bad.tar()));
        assertTrue(e.getMessage().contains("miss\\xff"), e.getMessage());
    }
}
