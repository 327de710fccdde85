package dev.berth.engine.testing;

import dev.berth.engine.fs.FileTree;
import dev.berth.engine.mount.MountTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A containerd (Debian package) started only for one test: root, state, sockets and log under its
 * own directory, CRI plugin disabled, namespace {@code berth-test}. The independent oracle for
 * what an unpack must produce. {@link #close()} stops it by its pid, unmounts everything under its
 * directory and deletes it. Not thread-safe.
 */
public final class PrivateContainerd implements AutoCloseable {
    private final Path dir;
    private final Path sock;
    private final Process process;

    private PrivateContainerd(Path dir, Path sock, Process process) {
        this.dir = dir;
        this.sock = sock;
        this.process = process;
    }

    /** Whether containerd and ctr are installed. */
    public static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/containerd")) && Files.isExecutable(Path.of("/usr/bin/ctr"));
    }

    /** Starts containerd under {@code parent}/containerd-&lt;random&gt; and waits until it answers. */
    public static PrivateContainerd start(Path parent) {
        try {
            Path dir = Files.createTempDirectory(parent, "ctrd-");
            Path sock = dir.resolve("c.sock");
            Path config = dir.resolve("config.toml");
            Files.writeString(config, """
                    version = 2
                    root = "%1$s/root"
                    state = "%1$s/state"
                    disabled_plugins = ["io.containerd.grpc.v1.cri"]
                    [grpc]
                      address = "%2$s"
                    [ttrpc]
                      address = "%2$s.ttrpc"
                    [debug]
                      level = "warn"
                    [metrics]
                      address = ""
                    [plugins."io.containerd.internal.v1.opt"]
                      path = "%1$s/opt"
                    """.formatted(dir, sock));
            Process p = new ProcessBuilder("containerd", "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
            PrivateContainerd c = new PrivateContainerd(dir, sock, p);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                if (!p.isAlive()) {
                    String log = Files.readString(dir.resolve("containerd.log"));
                    c.close();
                    throw new IllegalStateException("containerd exited " + p.exitValue() + ": " + log);
                }
                if (Files.exists(sock)) {
                    try {
                        c.ctr("version");
                        return c;
                    } catch (IllegalStateException notYet) {
                        // socket exists before the server answers
                    }
                }
                if (System.nanoTime() > deadline) {
                    c.close();
                    throw new IllegalStateException("containerd did not answer within 30 s");
                }
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** The overlayfs snapshotter's directory. */
    public Path overlayRoot() {
        return dir.resolve("root/io.containerd.snapshotter.v1.overlayfs");
    }

    /** Runs {@code ctr -a SOCK -n berth-test ARGS}; returns stdout, throws with stderr on failure. */
    public String ctr(String... args) {
        List<String> argv = new ArrayList<>(List.of("ctr", "-a", sock.toString(), "-n", "berth-test"));
        argv.addAll(List.of(args));
        return new String(Tools.run(argv), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            MountTable.cleanUnder(dir);
            FileTree.deleteRecursively(dir);
        }
    }
}
