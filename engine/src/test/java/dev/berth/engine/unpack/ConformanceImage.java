package dev.berth.engine.unpack;

import dev.berth.engine.testing.LayerTarBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The layers of the conformance image: every tar feature an unpacker can get wrong, spread over
 * layers so that whiteouts, opaque directories, type changes, implicit parents and hardlinks meet
 * the layers below them.
 */
final class ConformanceImage {
    private ConformanceImage() {
    }

    static List<LayerTarBuilder> layers() {
        LayerTarBuilder l1 = new LayerTarBuilder();
        l1.dir("etc");
        l1.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        l1.file("etc/hosts", "127.0.0.1 localhost\n");
        l1.dir("usr").mtime(1_600_000_000L);
        l1.dir("usr/bin");
        l1.dir("usr/lib");
        l1.file("usr/lib/libc.so", "libc");
        l1.file("usr/bin/prog", "prog v1").mode(04755);
        l1.hardlink("usr/bin/prog-link", "usr/bin/prog").mode(04755);
        l1.file("usr/bin/sg", "sg").mode(02755).owner(0, 50);
        l1.file("usr/bin/cap", "cap").mode(0755)
                .xattr("security.capability", new byte[] {1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        l1.symlink("lib", "usr/lib");
        l1.symlink("abs", "/etc/passwd");
        l1.symlink("dangling", "/nowhere/at/all");
        l1.symlink("dirlink", "usr/bin");
        l1.symlink("chained", "lib");
        l1.dir("data").mode(0700).owner(5, 6).mtime(1_500_000_000L).xattr("user.dir", "on a directory");
        l1.file("data/keep", "keep");
        l1.dir("home/user").mode(0750).owner(1000, 1000);
        l1.file("home/user/.profile", "export A=1").owner(1000, 1000).mode(0600);
        l1.dir("tmp").mode(01777);
        l1.dir("opq");
        l1.file("opq/a", "a");
        l1.file("opq/sub/c", "c");
        l1.file("gone-dir/deep/file", "deep");
        l1.file("typechange/f2d", "file");
        l1.file("typechange/d2f/child", "child");
        l1.file("typechange/f2l", "file");
        l1.file("h/a", "group").owner(7, 7);
        l1.hardlink("h/b", "h/a");
        l1.hardlink("h/c", "h/a");
        l1.fifo("run/fifo").mode(0620);
        l1.charDevice("dev/null", 1, 3);
        l1.blockDevice("dev/loop200", 7, 200);
        l1.file("files/big-ids", "ids").owner(3_000_000, 3_000_001);
        l1.file("files/xattrs", "x").xattr("user.text", "value").xattr("user.bin", new byte[] {0, 1, (byte) 0xfe, '\n'});
        l1.file("files/nanos", "n").mtimeNanos(1_650_000_000_123_456_789L);
        l1.file("files/" + "long-".repeat(30) + "name", "long");
        l1.file("files/héllo wörld", "utf8");
        l1.file("files/x.wh.y", "not a whiteout");
        l1.file("files/mode000", "m").mode(0);

        LayerTarBuilder l2 = new LayerTarBuilder();
        l2.whiteout("h/b");
        l2.whiteout("gone-dir");
        l2.file("opq/new", "new");
        l2.opaque("opq");
        l2.dir("typechange/f2d");
        l2.file("typechange/f2d/inner", "inner");
        l2.file("typechange/d2f", "now a file");
        l2.symlink("typechange/f2l", "../etc/hosts");
        l2.dir("home/user").mode(0700).owner(1000, 1000).mtime(1_610_000_000L);
        l2.file("data/sub/new", "implicit parents copy data/ from below").owner(5, 6);
        l2.whiteout("etc/hosts");
        l2.file("etc/hosts", "recreated in the same layer");
        l2.file("usr/bin/prog", "prog v2").mode(04750).owner(0, 10);
        l2.file("l2/a", "a2");
        l2.hardlink("l2/b", "l2/a");
        l2.file("lib/added-through-symlink", "via lib -> usr/lib");

        LayerTarBuilder l3 = new LayerTarBuilder();
        l3.whiteout("dangling");
        l3.file("h/d", "new in h").mode(0640);
        l3.dir("opq/sub2").mode(0711);
        l3.whiteout("usr/bin/sg");
        l3.file("etc/motd", "hello\n".getBytes(StandardCharsets.UTF_8)).mode(0444);
        return List.of(l1, l2, l3);
    }
}
