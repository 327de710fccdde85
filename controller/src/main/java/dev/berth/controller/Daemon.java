package dev.berth.controller;

import dev.berth.controller.api.ApiServer;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Berth daemon process: owns the root (lock), the metadata store and the local API. Later issues
 * add the reconcilers, sources and schedules here. {@link #close()} is idempotent.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final Config config;
    private final Engine engine;
    private final ApiServer api;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean closed;

    private Daemon(Config config, Engine engine, ApiServer api) {
        this.config = config;
        this.engine = engine;
        this.api = api;
    }

    public static Daemon start(Config config) {
        Engine engine = Engine.open(config);
        try {
            // adopt the tasks a previous daemon left running (and record exits that happened while none
            // ran) before serving anything; a cgroup driver this node cannot use fails the start here
            engine.runtime();
            ApiServer api = new ApiServer(Path.of(config.get(ControllerSettings.API_ADDRESS)));
            api.get("/version", () -> Map.of("version", BuildInfo.version(),
                    "pid", ProcessHandle.current().pid()));
            api.get("/healthz", () -> Map.of("status", "ok"));
            api.start();
            Daemon d = new Daemon(config, engine, api);
            d.announce();
            return d;
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    private void announce() {
        LOG.info("berth daemon {} started: root={} state={} api={}", BuildInfo.version(),
                config.get(EngineSettings.ROOT), config.get(EngineSettings.STATE),
                config.get(ControllerSettings.API_ADDRESS));
        Path dir = Path.of(config.get(ControllerSettings.MANIFEST_DIR));
        List<Path> files = List.of();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
            } catch (IOException e) {
                LOG.warn("cannot list manifest directory {}: {}", dir, e.getMessage());
            }
        }
        LOG.info("manifest directory {}: {} file(s)", dir, files.size());
        files.forEach(f -> LOG.info("  {}", dir.relativize(f)));
        LOG.warn("this build has no reconcilers yet: specs are listed but nothing is pulled or run");
    }

    public Engine engine() {
        return engine;
    }

    public Config config() {
        return config;
    }

    public void awaitTermination() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            api.close();
            engine.close();
            LOG.info("berth daemon stopped");
        } finally {
            stopped.countDown();
        }
    }
}
