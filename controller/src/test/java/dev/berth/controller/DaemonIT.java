package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.cli.Main;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.sandbox.SandboxSettings;
import dev.berth.engine.snapshots.SnapshotSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonIT {
    @TempDir
    Path tmp;

    @Test
    void daemonServesVersionAndOwnsTheRoot() throws Exception {
        Path sock = tmp.resolve("state/berth.sock");
        Config c = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(ControllerSettings.API_ADDRESS, sock.toString())
                .with(ControllerSettings.MANIFEST_DIR, tmp.resolve("manifests").toString());
        try (Daemon d = Daemon.start(c)) {
            assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(sock)));
            try (ApiClient api = ApiClient.connect(sock)) {
                assertEquals(ProcessHandle.current().pid(), api.get("/version").path("pid").asLong());
                BerthException nf = assertThrows(BerthException.class, () -> api.get("/nope"));
                assertEquals(ErrorCategory.NOT_FOUND, nf.category());
            }
            BerthException locked = assertThrows(BerthException.class, () -> Engine.open(c));
            assertEquals(ErrorCategory.LOCKED, locked.category());
            assertTrue(locked.getMessage().contains("in use by process " + ProcessHandle.current().pid()),
                    locked.getMessage());

            Path cfg = tmp.resolve("config.toml");
            Files.writeString(cfg, "version = 3\n[plugins.\"dev.berth.v1\"]\napi_address = \"" + sock + "\"\n");
            StringWriter out = new StringWriter();
            assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                    "--config", cfg.toString(), "version"));
            assertTrue(out.toString().contains("(pid " + ProcessHandle.current().pid()), out.toString());
        }
        // closed: socket removed, root free again
        assertTrue(Files.notExists(sock));
        try (Engine e = Engine.open(c)) {
            assertTrue(Files.exists(e.root().resolve("meta.db")));
        }
    }

    @Test
    void reloadAppliesTheLiveSettingsAtOnceAndNamesWhatWaitsForARestart() throws Exception {
        Path sock = tmp.resolve("state/berth.sock");
        Path first = Files.createDirectories(tmp.resolve("manifests"));
        Path second = Files.createDirectories(tmp.resolve("manifests2"));
        Files.writeString(second.resolve("image.yaml"), "apiVersion: berth.dev/v1alpha1\nkind: Image\n"
                + "metadata:\n  name: busybox\nspec:\n  ref: localhost/berth/busybox:latest\n  pullPolicy: Never\n");
        Config c = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(ControllerSettings.API_ADDRESS, sock.toString())
                .with(ControllerSettings.MANIFEST_DIR, first.toString());
        try (Daemon d = Daemon.start(c)) {
            assertTrue(d.store().list(null).isEmpty());
            Config fresh = c.with(ControllerSettings.MANIFEST_DIR, second.toString())
                    .with(ControllerSettings.RESYNC_INTERVAL, java.time.Duration.ofSeconds(7))
                    .with(SandboxSettings.SANDBOX_IMAGE, "localhost/berth/pause:reloaded")
                    .with(SandboxSettings.CNI_CONF_DIR, tmp.resolve("net.d").toString())
                    .with(RemoteSettings.CONFIG_PATH, tmp.resolve("certs.d").toString())
                    .with(RuntimeSettings.LOG_MAX_SIZE, 4096L)
                    .with(SnapshotSettings.SNAPSHOTTER, "native");
            ConfigChanges changes = d.reload(fresh, java.time.Clock.systemUTC());
            // the new directory is in force at once
            assertEquals(1, d.store().list(null).size(), "the object of the new manifest directory");
            assertEquals(5, changes.applied().size(), changes.toString());
            for (var s : List.of(ControllerSettings.MANIFEST_DIR, ControllerSettings.RESYNC_INTERVAL,
                    SandboxSettings.SANDBOX_IMAGE, SandboxSettings.CNI_CONF_DIR, RemoteSettings.CONFIG_PATH)) {
                assertTrue(changes.applied().stream().anyMatch(l -> l.startsWith(s.name() + " (")), s.name() + ": " + changes);
            }
            // the engine's new sandboxes and pulls see the live values; what it was opened with stays
            assertEquals("localhost/berth/pause:reloaded", d.engine().config().get(SandboxSettings.SANDBOX_IMAGE));
            assertEquals(tmp.resolve("net.d").toString(), d.engine().config().get(SandboxSettings.CNI_CONF_DIR));
            assertEquals(c.get(SnapshotSettings.SNAPSHOTTER), d.engine().config().get(SnapshotSettings.SNAPSHOTTER));
            assertEquals(java.time.Duration.ofSeconds(7), d.config().get(ControllerSettings.RESYNC_INTERVAL));
            // the runtime and the snapshotter were opened with theirs: a restart applies them, and the log says so
            assertEquals(List.of(RuntimeSettings.LOG_MAX_SIZE.name() + " (" + c.get(RuntimeSettings.LOG_MAX_SIZE) + " -> 4096)",
                    SnapshotSettings.SNAPSHOTTER.name() + " (overlayfs -> native)").stream().sorted().toList(),
                    changes.pending().stream().sorted().toList());
            assertTrue(changes.describe().contains("applied now: ") && changes.describe().contains("these take effect at restart: "),
                    changes.describe());
            ConfigChanges again = d.reload(fresh, java.time.Clock.systemUTC());
            assertTrue(again.applied().isEmpty(), "a second reload applies nothing new: " + again);
            assertEquals(changes.pending(), again.pending(), "what waits for a restart still waits");
        }
    }

    @Test
    void reloadMovesTheMetricsEndpointAndKeepsTheOldOneWhenTheNewAddressIsTaken() throws Exception {
        int p1 = freePort();
        int p2 = freePort();
        Config c = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(ControllerSettings.API_ADDRESS, tmp.resolve("state/berth.sock").toString())
                .with(ControllerSettings.MANIFEST_DIR, Files.createDirectories(tmp.resolve("manifests")).toString())
                .with(ControllerSettings.METRICS_ADDRESS, "127.0.0.1:" + p1);
        try (Daemon d = Daemon.start(c); java.net.ServerSocket taken = new java.net.ServerSocket()) {
            assertTrue(answers(p1), "metrics on the first address");
            Config moved = c.with(ControllerSettings.METRICS_ADDRESS, "127.0.0.1:" + p2);
            ConfigChanges changes = d.reload(moved, java.time.Clock.systemUTC());
            assertTrue(changes.applied().stream().anyMatch(l -> l.startsWith(ControllerSettings.METRICS_ADDRESS.name() + " (")),
                    changes.toString());
            assertTrue(answers(p2), "metrics on the new address at once");
            assertFalse(answers(p1), "the old address is closed");
            // an address another process holds: the endpoint stays where it is, and the change waits
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            Config clash = c.with(ControllerSettings.METRICS_ADDRESS, "127.0.0.1:" + taken.getLocalPort());
            ConfigChanges refused = d.reload(clash, java.time.Clock.systemUTC());
            assertTrue(refused.pending().stream().anyMatch(l -> l.startsWith(ControllerSettings.METRICS_ADDRESS.name() + " (")),
                    refused.toString());
            assertTrue(answers(p2), "still serving on the address that worked");
            assertEquals("127.0.0.1:" + p2, d.config().get(ControllerSettings.METRICS_ADDRESS));
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Whether {@code /healthz} answers 200 on 127.0.0.1:{@code port}. */
    private static boolean answers(int port) {
        try {
            var conn = (java.net.HttpURLConnection) java.net.URI.create("http://127.0.0.1:" + port + "/healthz").toURL()
                    .openConnection();
            conn.setConnectTimeout(5000);
            conn.setReadTimeout(5000);
            try {
                return conn.getResponseCode() == 200;
            } finally {
                conn.disconnect();
            }
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
