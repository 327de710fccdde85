package dev.berth.controller;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.cli.Main;
import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.archive.ImageImporter;
import dev.berth.engine.images.archive.ImportOptions;
import dev.berth.engine.testing.OciImageBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;

/**
 * The Berth daemon as a process of its own, for ITs that kill and restart it: a private root,
 * state, API socket, manifest directory, log directory and cgroup parent under the test's
 * directory ({@link #create}), start (waits for {@code /healthz}), SIGKILL, and GETs on its API.
 * The process's output is appended to {@code <dir>/daemon.log}. Not thread-safe: one per test.
 */
public final class DaemonProcess implements AutoCloseable {
    /** The busybox image the tests import, as the examples name it. */
    public static final String BUSYBOX = "localhost/berth/busybox:latest";
    private final Path dir;
    private final Path config;
    private final Path socket;
    private Process process;

    private DaemonProcess(Path dir, Path config) {
        this.dir = dir;
        this.config = config;
        this.socket = dir.resolve("state/berth.sock");
    }

    /**
     * Writes {@code <dir>/config.toml} (version 3; resync every 2 s; {@code extraToml} appended, for
     * tables of its own such as the CNI or sandbox image keys) and returns the daemon it configures.
     */
    public static DaemonProcess create(Path dir, String cgroupParent, String extraToml) throws Exception {
        Path config = dir.resolve("config.toml");
        Files.createDirectories(dir.resolve("manifests"));
        Files.writeString(config, """
                version = 3
                root = "%s"
                state = "%s"
                [plugins."dev.berth.v1"]
                api_address = "%s"
                manifest_dir = "%s"
                log_dir = "%s"
                resync_interval = "2s"
                cgroup_parent = "%s"
                """.formatted(dir.resolve("root"), dir.resolve("state"), dir.resolve("state/berth.sock"),
                dir.resolve("manifests"), dir.resolve("logs"), cgroupParent) + extraToml);
        return new DaemonProcess(dir, config);
    }

    /** The config file {@link #create} wrote (for clients: {@code berth -c FILE}). */
    public Path configFile() {
        return config;
    }

    /** The daemon's local API socket. */
    public Path socket() {
        return socket;
    }

    public Path manifests() {
        return dir.resolve("manifests");
    }

    public Config config() {
        return new ConfigLoader(ControllerSettings.schema()).load(config);
    }

    /** Opens the engine in this process (only while the daemon is down: the root is locked). */
    public Engine openEngine() {
        return Engine.open(config());
    }

    /** Builds busybox and imports it as {@link #BUSYBOX} (the importer writes the GC labels). */
    public void importBusybox() throws Exception {
        Path layout = dir.resolve("busybox-layout");
        OciImageBuilder.busybox().build().writeLayout(layout, "latest");
        try (Engine e = openEngine()) {
            new ImageImporter(e.content(), e.images(), e.leases()).importFrom(layout,
                    ImportOptions.defaults().withName(BUSYBOX));
        }
    }

    /** Starts the daemon and waits (90 s at most) until its API answers {@code /healthz}. */
    public void start() {
        start(java.util.Map.of());
    }

    /**
     * Starts the daemon with {@code environment} added to this JVM's (e.g. {@code NOTIFY_SOCKET}) and
     * waits (90 s at most) until its API answers {@code /healthz}.
     */
    public void start(java.util.Map<String, String> environment) {
        try {
            String java = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    Main.class.getName(), "--config", config.toString(), "daemon")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()));
            pb.environment().putAll(environment);
            process = pb.start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot start the daemon", e);
        }
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> {
            try (ApiClient c = ApiClient.connect(socket)) {
                return c.get("/healthz").path("status").asText().equals("ok");
            } catch (BerthException e) {
                return false;
            }
        });
    }

    /** The daemon's process (for signals and its exit), or null when it is not started. */
    public Process process() {
        return process;
    }

    /** SIGTERM (a clean shutdown), SIGKILL if it has not ended 30 s later. Idempotent. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        process = null;
    }

    /** SIGKILL, then waits for the process to be gone. Idempotent. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        process = null;
    }

    /** GET of an API path, or null when the daemon answers with an error (e.g. 404) or is down. */
    public JsonNode get(String path) {
        try (ApiClient c = ApiClient.connect(socket)) {
            return c.get(path);
        } catch (BerthException e) {
            return null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
