package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.controller.ControllerSettings;
import dev.berth.controller.Daemon;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.testing.PrivateContainerd;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ctr snapshots diff} (Debian's ctr 1.6.20) against Berth's gRPC socket and against a
 * private containerd, after the same changes to the same tree: the two layers must list the same
 * entries in the same order with the same types, modes, owners, sizes, link targets and contents
 * (mtimes aside), whiteouts and parent directories included.
 */
class CtrDiffIT {
    @TempDir
    Path tmp;
    Daemon daemon;
    PrivateContainerd containerd;
    Path berthSock;
    final String cgroupParent = "/berth-diff-" + Long.toHexString(System.nanoTime());

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for overlay mounts");
        assumeTrue(PrivateContainerd.available(), "needs Debian's containerd package (containerd, ctr)");
        berthSock = tmp.resolve("state/containerd.sock");
        Config c = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(CgroupSettings.CGROUP_PARENT, cgroupParent)
                .with(ControllerSettings.API_ADDRESS, tmp.resolve("state/berth.sock").toString())
                .with(ControllerSettings.GRPC_ADDRESS, berthSock.toString())
                .with(ControllerSettings.MANIFEST_DIR, Files.createDirectories(tmp.resolve("manifests")).toString());
        daemon = Daemon.start(c);
        containerd = PrivateContainerd.start(tmp);
    }

    @AfterEach
    void tearDown() {
        try {
            if (containerd != null) {
                containerd.close();
            }
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            MountTable.cleanUnder(tmp);
            dev.berth.engine.cgroups.Cgroups.host().removeEmpty(cgroupParent);
        }
    }

    @Test
    void berthsLayerListsWhatContainerdsDoes() throws Exception {
        List<String> fromBerth = entries(diffAfterChanges(List.of("--address", berthSock.toString()), "b"));
        List<String> fromContainerd = entries(diffAfterChanges(
                List.of("--address", containerd.dir().resolve("c.sock").toString(), "-n", "berth-test"), "c"));
        assertTrue(fromContainerd.stream().anyMatch(e -> e.contains(".wh.gone")), String.join("\n", fromContainerd));
        assertEquals(String.join("\n", fromContainerd), String.join("\n", fromBerth));
    }

    @Test
    void anUnknownMediaTypeIsRefusedAsContainerdDoes() throws Exception {
        List<String> ctr = List.of("--address", berthSock.toString());
        run(ctr, "snapshots", "prepare", "only");
        Result r = run0(ctr, "snapshots", "diff", "--media-type", "application/x-zip", "only");
        assertTrue(r.code() != 0, r.text());
        assertTrue(r.text().contains("not implemented") || r.text().contains("unsupported"), r.text());
    }

    /** Builds a base snapshot, changes it in a second one, and returns ctr's diff of the two. */
    private byte[] diffAfterChanges(List<String> ctr, String side) throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("mnt-" + side));
        run(ctr, "snapshots", "prepare", "base-active");
        mountAt(ctr, "base-active", mnt);
        try {
            Files.createDirectories(mnt.resolve("etc"));
            Files.writeString(mnt.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
            Files.writeString(mnt.resolve("etc/hosts"), "127.0.0.1 localhost\n");
            Files.createDirectories(mnt.resolve("bin"));
            Files.writeString(mnt.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
            Files.setPosixFilePermissions(mnt.resolve("bin/tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectories(mnt.resolve("gone/deeper"));
            Files.writeString(mnt.resolve("gone/deeper/b"), "b");
            Files.writeString(mnt.resolve("gone/c"), "c");
            Files.writeString(mnt.resolve("doc.txt"), "doc");
            Files.createSymbolicLink(mnt.resolve("link"), Path.of("etc/passwd"));
            Files.createDirectories(mnt.resolve("data"));
            Files.writeString(mnt.resolve("data/file"), "owned");
            chown(mnt.resolve("data/file"), 1000, 1000);
            Files.createDirectories(mnt.resolve("same/inner"));
            Files.writeString(mnt.resolve("same/inner/x"), "untouched");
        } finally {
            umount(mnt);
        }
        run(ctr, "snapshots", "commit", "base", "base-active");
        run(ctr, "snapshots", "prepare", "work", "base");
        mountAt(ctr, "work", mnt);
        try {
            Files.createDirectories(mnt.resolve("new"));
            Files.writeString(mnt.resolve("new/file.txt"), "fresh content\n");
            Files.createLink(mnt.resolve("new/hard"), mnt.resolve("new/file.txt"));
            Files.writeString(mnt.resolve("etc/hosts"), "127.0.0.1 localhost\n::1 localhost\n");
            Files.delete(mnt.resolve("doc.txt"));
            Files.delete(mnt.resolve("gone/deeper/b"));
            Files.delete(mnt.resolve("gone/deeper"));
            Files.delete(mnt.resolve("gone/c"));
            Files.delete(mnt.resolve("gone"));
            Files.setPosixFilePermissions(mnt.resolve("bin/tool"), PosixFilePermissions.fromString("rwx------"));
            chown(mnt.resolve("data/file"), 2000, 3000);
            Files.delete(mnt.resolve("link"));
            Files.createSymbolicLink(mnt.resolve("link"), Path.of("etc/hosts"));
        } finally {
            umount(mnt);
        }
        return run(ctr, "snapshots", "diff", "work");
    }

    /** One line per tar entry: name, type, mode, owner, size, link target, content digest. */
    private static List<String> entries(byte[] layer) throws IOException {
        List<String> out = new ArrayList<>();
        try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(layer));
                TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String sum = "";
                if (e.isFile() && !e.isLink()) {
                    sum = sha256(tar.readAllBytes());
                }
                out.add(String.join(" ", e.getName(), Character.toString(e.getLinkFlag()),
                        Integer.toOctalString(e.getMode()), e.getLongUserId() + ":" + e.getLongGroupId(),
                        Long.toString(e.getSize()), e.getLinkName(), sum));
            }
        }
        return out;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void mountAt(List<String> ctr, String key, Path target) throws Exception {
        // ctr prints the mount(8) command line for the snapshot's mounts
        String cmd = new String(run(ctr, "snapshots", "mounts", target.toString(), key), StandardCharsets.UTF_8).trim();
        assertTrue(cmd.startsWith("mount "), cmd);
        Process p = new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), cmd + ": " + out);
    }

    private static void umount(Path target) throws Exception {
        Process p = new ProcessBuilder("umount", target.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    private static void chown(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid);
        Files.setAttribute(p, "unix:gid", gid);
    }

    record Result(int code, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8) + err;
        }
    }

    private static Result run0(List<String> ctr, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ctr", "--connect-timeout", "30s"));
        argv.addAll(ctr);
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).start();
        p.getOutputStream().close();
        var errs = new java.util.concurrent.CompletableFuture<byte[]>();
        Thread t = new Thread(() -> {
            try {
                errs.complete(p.getErrorStream().readAllBytes());
            } catch (IOException e) {
                errs.completeExceptionally(e);
            }
        });
        t.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", argv) + " did not finish");
        return new Result(p.exitValue(), out, new String(errs.get(), StandardCharsets.UTF_8));
    }

    private static byte[] run(List<String> ctr, String... args) throws Exception {
        Result r = run0(ctr, args);
        assertEquals(0, r.code(), "ctr " + String.join(" ", args) + ": " + r.err());
        return r.out();
    }
}
