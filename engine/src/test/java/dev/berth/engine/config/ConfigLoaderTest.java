package dev.berth.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.EngineSettings;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.gc.GcSettings;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.sandbox.SandboxSettings;
import dev.berth.engine.snapshots.SnapshotSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private final ConfigLoader loader = new ConfigLoader(EngineSettings.all());

    private static String resource(String name) throws IOException {
        try (InputStream in = ConfigLoaderTest.class.getResourceAsStream("/config/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void realContainerd16DefaultLoadsWithoutWarnings() throws IOException {
        // generated with Debian 12's containerd 1.6.20: `containerd config default`
        Config c = loader.parse(resource("containerd-1.6-default.toml"), Path.of("containerd-1.6-default.toml"));
        assertEquals(2, c.version());
        assertEquals("registry.k8s.io/pause:3.6", c.get(SandboxSettings.SANDBOX_IMAGE));
        assertTrue(c.isSet(RuntimeSettings.SYSTEMD_CGROUP));
        assertFalse(c.get(RuntimeSettings.SYSTEMD_CGROUP));
        assertEquals("/var/lib/containerd", c.get(EngineSettings.ROOT));
        assertEquals("overlayfs", c.get(SnapshotSettings.SNAPSHOTTER));
        assertEquals(3L, c.get(RemoteSettings.MAX_CONCURRENT_DOWNLOADS));
        assertEquals(Duration.ofMillis(100), c.get(GcSettings.STARTUP_DELAY));
        assertEquals(java.util.List.of(), c.warnings());
    }

    @Test
    void version3LayoutMapsPinnedSandboxAndSystemdCgroup() throws IOException {
        String text = resource("containerd-2.x-v3.toml")
                .replace("sandbox = 'registry.k8s.io/pause:3.10'", "sandbox = 'example.com/pause:9'")
                .replace("SystemdCgroup = false", "SystemdCgroup = true")
                .replace("BinaryName = ''", "BinaryName = 'crun'");
        Config c = loader.parse(text, Path.of("v3.toml"));
        assertEquals(3, c.version());
        assertEquals("example.com/pause:9", c.get(SandboxSettings.SANDBOX_IMAGE));
        assertTrue(c.get(RuntimeSettings.SYSTEMD_CGROUP));
        assertEquals("crun", c.get(RuntimeSettings.BINARY_NAME));
        assertEquals(java.util.List.of(), c.warnings());
    }

    @Test
    void version2SandboxImageIsRead() {
        Config c = loader.parse("""
                version = 2
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "my.registry/pause:1"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                    SystemdCgroup = true
                """, Path.of("c.toml"));
        assertEquals("my.registry/pause:1", c.get(SandboxSettings.SANDBOX_IMAGE));
        assertTrue(c.get(RuntimeSettings.SYSTEMD_CGROUP));
    }

    @Test
    void wrongTypeNamesKeyLineAndExpectedType() {
        ConfigException e = assertThrows(ConfigException.class, () -> loader.parse("""
                version = 2

                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                  SystemdCgroup = "yes"
                """, Path.of("/etc/berth/config.toml")));
        assertTrue(e.getMessage().startsWith("/etc/berth/config.toml:4: "), e.getMessage());
        assertTrue(e.getMessage().contains("SystemdCgroup = \"yes\""), e.getMessage());
        assertTrue(e.getMessage().contains("expected a boolean"), e.getMessage());
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    }

    @Test
    void invalidValueNamesTheAcceptedForm() {
        ConfigException e = assertThrows(ConfigException.class, () -> loader.parse("""
                version = 3
                [plugins.'io.containerd.cri.v1.images']
                  snapshotter = "zfs"
                """, Path.of("c.toml")));
        assertTrue(e.getMessage().contains("c.toml:3"), e.getMessage());
        assertTrue(e.getMessage().contains("must be one of overlayfs, native"), e.getMessage());
        ConfigException d = assertThrows(ConfigException.class, () -> loader.parse("""
                [plugins."io.containerd.gc.v1.scheduler"]
                startup_delay = "soon"
                """, Path.of("c.toml")));
        assertTrue(d.getMessage().contains("expected a duration"), d.getMessage());
    }

    @Test
    void unknownKeyOnlyWarnsWithItsLine() {
        Config c = loader.parse("""
                version = 3
                root = "/srv/berth"
                [plugins."dev.berth.v1"]
                  log_dri = "/tmp"
                """, Path.of("c.toml"));
        assertEquals("/srv/berth", c.get(EngineSettings.ROOT));
        assertEquals(1, c.warnings().size());
        assertTrue(c.warnings().get(0).contains("c.toml:4: unknown key plugins.\"dev.berth.v1\".log_dri"),
                c.warnings().get(0));
    }

    @Test
    void keyInTheOtherLayoutsPlaceWarnsWithTheRightPlace() {
        Config c = loader.parse("""
                version = 3
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "x/pause:1"
                """, Path.of("c.toml"));
        assertEquals("registry.k8s.io/pause:3.10", c.get(SandboxSettings.SANDBOX_IMAGE));
        assertTrue(c.warnings().get(0).contains("pinned_images.sandbox"), c.warnings().get(0));
    }

    @Test
    void unsupportedVersionAndBrokenTomlFailWithPosition() {
        ConfigException v = assertThrows(ConfigException.class, () -> loader.parse("version = 1\n", Path.of("c.toml")));
        assertTrue(v.getMessage().contains("c.toml:1: version = 1 is not supported"), v.getMessage());
        ConfigException t = assertThrows(ConfigException.class, () -> loader.parse("root = \n", Path.of("c.toml")));
        assertTrue(t.getMessage().startsWith("c.toml:1:"), t.getMessage());
    }

    @Test
    void missingFileIsNotFound() {
        BerthException e = assertThrows(BerthException.class, () -> loader.load(Path.of("/nonexistent/berth.toml")));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
    }

    @Test
    void renderedDefaultsRoundTrip() {
        ConfigRenderer r = new ConfigRenderer(EngineSettings.all());
        Config custom = Config.defaults()
                .with(EngineSettings.ROOT, "/data/ber\"th")
                .with(GcSettings.SCHEDULE_DELAY, Duration.ofMillis(1500))
                .with(RuntimeSettings.SYSTEMD_CGROUP, true);
        for (Config c : new Config[] {Config.defaults(), custom}) {
            String text = r.render(c, "test");
            Config back = loader.parse(text, null);
            assertEquals(java.util.List.of(), back.warnings());
            for (Setting<?> s : EngineSettings.all()) {
                assertEquals(c.get(s), back.get(s), s.name());
            }
        }
    }

    @Test
    void durationsUseGoNotation() {
        assertEquals(Duration.ofMinutes(90), SettingType.parseDuration("1h30m"));
        assertEquals(Duration.ofMillis(100), SettingType.parseDuration("100ms"));
        assertEquals("1h30m", SettingType.formatDuration(Duration.ofMinutes(90)));
        assertEquals(Duration.ofMinutes(5), SettingType.parseDuration("5m0s"));
        assertThrows(IllegalArgumentException.class, () -> SettingType.parseDuration("5 minutes"));
    }
}
