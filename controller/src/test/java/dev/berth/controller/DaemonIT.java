package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.cli.Main;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void reloadWatchesTheNewManifestDirectoryAndNamesWhatWaitsForARestart() throws Exception {
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
                    .with(ControllerSettings.RESYNC_INTERVAL, java.time.Duration.ofSeconds(7));
            var pending = d.reload(fresh, java.time.Clock.systemUTC());
            // the new directory is in force at once; the resync period waits for a restart, and says so
            assertEquals(1, d.store().list(null).size(), "the object of the new manifest directory");
            assertEquals(1, pending.size(), pending.toString());
            assertTrue(pending.get(0).contains(ControllerSettings.RESYNC_INTERVAL.name()), pending.toString());
            assertTrue(d.reload(fresh, java.time.Clock.systemUTC()).equals(pending), "a second reload changes nothing");
        }
    }
}
