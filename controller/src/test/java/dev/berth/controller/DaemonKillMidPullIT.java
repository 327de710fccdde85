package dev.berth.controller;

import dev.berth.engine.testing.RootOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.controller.cli.Main;
import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.engine.testing.ThrottlingProxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * SIGKILL the daemon in the middle of a pull (the registry is behind a slow relay so the pull takes
 * a while, through a ThrottlingProxy), start it again: the Image converges and every blob in the store verifies.
 */
class DaemonKillMidPullIT {
    @TempDir
    Path tmp;
    Process daemon;
    ThrottlingProxy relay;

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) {
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (relay != null) {
            relay.close();
        }
    }

    private void startDaemon(Path config, Path socket) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        daemon = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--config", config.toString(), "daemon")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("daemon.log").toFile()))
                .start();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            try (ApiClient c = ApiClient.connect(socket)) {
                return c.get("/healthz").path("status").asText().equals("ok");
            } catch (BerthException e) {
                return false;
            }
        });
    }

    private long ingestBytes() throws IOException {
        Path ingest = tmp.resolve("root/content/ingest");
        if (!Files.isDirectory(ingest)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(ingest)) {
            return s.filter(p -> p.getFileName().toString().equals("data")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @RootOnly("needs root")
    @Test
    void killedMidPullTheDaemonResumesAndEndsVerified() throws Exception {
        byte[] big = new byte[12 << 20];
        new Random(7).nextBytes(big);
        LayerBuilder layer = LayerBuilder.create().compression(LayerBuilder.Compression.NONE);
        layer.file("blob.bin", big, 0644);
        BuiltImage img = OciImageBuilder.busybox().layer(layer).build();
        Path socket = tmp.resolve("state/berth.sock");
        Path config = tmp.resolve("config.toml");
        Path manifests = tmp.resolve("manifests");
        Files.createDirectories(manifests);
        try (RegistryProcess registry = RegistryProcess.start()) {
            registry.pushRaw(img, "berth/big", "1");
            relay = ThrottlingProxy.start(registry.port(), (line, nth) -> ThrottlingProxy.Behaviour.trickle(2 << 20));
            int port = relay.port();
            Files.writeString(config, """
                    version = 3
                    root = "%s"
                    state = "%s"
                    [plugins."dev.berth.v1"]
                    api_address = "%s"
                    manifest_dir = "%s"
                    log_dir = "%s"
                    cgroup_parent = "/berth-killpull-%s"
                    """.formatted(tmp.resolve("root"), tmp.resolve("state"), socket, manifests, tmp.resolve("logs"),
                    Long.toHexString(System.nanoTime())));
            Files.writeString(manifests.resolve("image.yaml"), """
                    apiVersion: berth.dev/v1alpha1
                    kind: Image
                    metadata:
                      name: big
                    spec:
                      ref: 127.0.0.1:%d/berth/big:1
                    """.formatted(port));
            startDaemon(config, socket);
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> ingestBytes() > (2 << 20));
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            long kept = ingestBytes();
            assertTrue(kept > 0 && kept < big.length, "killed mid-layer, " + kept + " bytes kept");

            Files.writeString(tmp.resolve("daemon.log"), "---- second start\n", StandardOpenOption.APPEND);
            startDaemon(config, socket);
            // the dead daemon's pull lease is released at start, and the log says so (issue 12)
            String second = Files.readString(tmp.resolve("daemon.log"));
            second = second.substring(second.lastIndexOf("---- second start"));
            assertTrue(second.matches("(?s).*released [1-9][0-9]* temporary lease\\(s\\) of a process that ended without them.*"),
                    second);
            try (ApiClient c = ApiClient.connect(socket)) {
                Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> {
                    JsonNode o = c.get(ObjectsApi.BASE + "/namespaces/default/images/big");
                    for (JsonNode cond : o.path("status").path("conditions")) {
                        if (cond.path("type").asText().equals("Ready")) {
                            return cond.path("status").asText().equals("True");
                        }
                    }
                    return false;
                });
            }
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            daemon = null;
            Config cfg = new ConfigLoader(ControllerSettings.schema()).load(config);
            try (Engine e = Engine.open(cfg)) {
                for (Digest d : img.blobs().keySet()) {
                    assertTrue(e.content().exists(d), "stored " + d);
                    e.content().verify(d);
                }
                assertEquals(0, e.content().statuses().size(), "no ingest left behind");
            }
        }
    }
}
