package dev.berth.controller.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The build's training run for the class-data archive ({@code target/berth.jsa}, made by
 * {@code -XX:ArchiveClassesAtExit} in the package phase): it walks the paths a user's commands take
 * so that their classes are archived at build time, not on a user's first run. First the thin
 * client against a local socket answering canned frames (the daemon-backed path), then the full
 * CLI in-process on a scratch root (picocli, config, engine, SQLite, Jackson, YAML), then a daemon
 * on a scratch root with one manifest, started and stopped (Jetty, gRPC, Quartz, the reconcilers:
 * a daemon restarted after a crash re-adopts its tasks sooner when it need not load and verify
 * those from the jars). Failures are ignored: the archive holds whatever loaded. Not for users; single-threaded apart from the socket.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("berth-cds-");
        PrintStream realOut = System.out;
        PrintStream realErr = System.err;
        try {
            thin(dir);
            full(dir);
            daemon(dir);
        } catch (Exception | Error e) {
            realErr.println("berth: class-data training stopped early (the archive is smaller): " + e);
        } finally {
            System.setOut(realOut);
            System.setErr(realErr);
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(0); // the archive is written at exit; engine threads must not keep the JVM up
    }

    private static void thin(Path dir) throws Exception {
        Path socket = dir.resolve("berth.sock");
        Path config = dir.resolve("config.toml");
        Files.writeString(config, "version = 3\n[plugins.\"dev.berth.v1\"]\napi_address = \"" + socket + "\"\n");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread t = new Thread(() -> answer(server), "cds-training");
            t.setDaemon(true);
            t.start();
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            System.setErr(new PrintStream(OutputStream.nullOutputStream()));
            ThinClient.forward(new String[] {"-c", config.toString(), "get", "containers", "-f", "x"});
            t.join(10_000);
        }
    }

    private static void answer(ServerSocketChannel server) {
        try (SocketChannel c = server.accept()) {
            var in = Channels.newInputStream(c);
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (!req.toString(StandardCharsets.ISO_8859_1).contains("]}")) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                req.write(buf, 0, n);
            }
            String body = "o5\nNAME\ne4\nerr\nx1\n0";
            String chunk = Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
            Channels.newOutputStream(c).write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
                    .getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            // the client reports it
        }
    }

    private static void daemon(Path dir) throws IOException {
        Path d = dir.resolve("daemon");
        Files.createDirectories(d.resolve("manifests"));
        // an Image that resolves to nothing (pullPolicy Never) and a Container waiting for it: the
        // decode, store, reconcile and status paths run, and nothing is pulled, mounted or started
        Files.writeString(d.resolve("manifests/train.yaml"), """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: train}
                spec: {ref: "localhost/berth/cds-training:none", pullPolicy: Never}
                ---
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: train}
                spec: {image: train, command: [/bin/true]}
                """);
        Path config = d.resolve("config.toml");
        Files.writeString(config, """
                version = 3
                root = "%s"
                state = "%s"
                [grpc]
                address = "%s"
                [metrics]
                address = ""
                [plugins."dev.berth.v1"]
                api_address = "%s"
                manifest_dir = "%s"
                log_dir = "%s"
                """.formatted(d.resolve("root"), d.resolve("state"), d.resolve("state/containerd.sock"),
                d.resolve("state/berth.sock"), d.resolve("manifests"), d.resolve("logs")));
        var cfg = new dev.berth.engine.config.ConfigLoader(dev.berth.controller.ControllerSettings.schema()).load(config);
        try (dev.berth.controller.Daemon daemon = dev.berth.controller.Daemon.start(cfg)) {
            long until = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < until && daemon.store().get(new dev.berth.crd.ObjectRef("Container",
                    "default", "train")).map(o -> o.object().getStatus() == null).orElse(true)) {
                Thread.sleep(50);
            }
        } catch (RuntimeException | InterruptedException e) {
            // training only
        }
    }

    private static void full(Path dir) throws IOException {
        Path config = dir.resolve("full.toml");
        Files.writeString(config, "version = 3\nroot = \"" + dir.resolve("root") + "\"\nstate = \"" + dir.resolve("state")
                + "\"\n[plugins.\"dev.berth.v1\"]\napi_address = \"" + dir.resolve("none.sock") + "\"\n");
        String c = config.toString();
        for (List<String> args : List.of(List.of("--help"), List.of("-c", c, "version"), List.of("config", "default"),
                List.of("-c", c, "get", "containers"), List.of("-c", c, "images", "ls"),
                List.of("-c", c, "snapshots", "ls"), List.of("-c", c, "content", "ls"), List.of("-c", c, "tasks", "ls"),
                List.of("-c", c, "containers", "ls"), List.of("-c", c, "pull", "--help"), List.of("-c", c, "run", "--help"))) {
            StringWriter sink = new StringWriter();
            try {
                Main.run(new PrintWriter(sink), new PrintWriter(sink), args.toArray(String[]::new));
            } catch (RuntimeException e) {
                // training only: the command's own failure does not matter
            }
        }
    }
}
