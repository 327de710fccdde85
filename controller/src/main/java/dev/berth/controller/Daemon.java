package dev.berth.controller;

import dev.berth.controller.api.ApiServer;
import dev.berth.controller.grpc.GrpcServer;
import dev.berth.controller.api.EventsApi;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.controller.events.EventRecorder;
import dev.berth.controller.kubernetes.KubernetesAgent;
import dev.berth.controller.metrics.DaemonMetrics;
import dev.berth.controller.metrics.MetricsEndpoint;
import dev.berth.controller.kubernetes.KubernetesSettings;
import dev.berth.controller.source.CrdManifestDecoder;
import dev.berth.controller.source.ManifestDirectorySource;
import dev.berth.controller.source.SourceStatus;
import dev.berth.controller.store.ObjectStore;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.gc.GcScheduler;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.image.ImageReconciler;
import dev.berth.reconcilers.image.Registries;
import dev.berth.reconcilers.snapshot.SnapshotReconciler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Berth daemon process: owns the root (through the {@link Engine}), keeps the objects from its
 * sources (manifest directory, local API) in the {@link ObjectStore}, runs the {@link Controller}
 * that reconciles them, serves the local API, and schedules resync. Start order: engine (adopting
 * running tasks), store, controller, sources, API, schedules; {@link #close()} stops them in reverse
 * and is idempotent. Containers keep running after the daemon stops. A little over 400 lines: it is
 * the one place that wires every part in order (and unwires it in reverse), which reads best whole;
 * each part's logic lives in its own class.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    /** How often an Image with pullPolicy Always is checked for a new digest. */
    static final Duration IMAGE_REFRESH = Duration.ofMinutes(5);

    /** As started, with the live settings of each reload taken in ({@link ConfigChanges#merged}). */
    private volatile Config config;
    private final Engine engine;
    private Registries registries;
    private Schedules schedules;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private ObjectStore store;
    private ApiServer api;
    private GrpcServer grpc;
    private EventRecorder events;
    private Controller controller;
    private volatile ManifestDirectorySource manifests;
    private CrdManifestDecoder decoder;
    private final DaemonMetrics metrics = new DaemonMetrics();
    private volatile MetricsEndpoint metricsEndpoint;
    private KubernetesAgent kubernetes;
    private volatile boolean apiServing;
    private volatile boolean closed;

    private Daemon(Config config, Engine engine) {
        this.config = config;
        this.engine = engine;
    }

    public static Daemon start(Config config) {
        return start(config, Clock.systemUTC());
    }

    public static Daemon start(Config config, Clock clock) {
        return start(config, clock, d -> {
        });
    }

    /**
     * Starts the daemon; {@code routes} adds the caller's routes to the local API ({@link #api()})
     * before it serves, so a client that sees the socket answer finds every route there.
     */
    public static Daemon start(Config config, Clock clock, java.util.function.Consumer<Daemon> routes) {
        Engine engine = Engine.open(config, clock);
        engine.hostPaths().protect(Path.of(config.get(ControllerSettings.MANIFEST_DIR)),
                "Berth's manifest directory (manifest_dir)");
        Daemon d = new Daemon(config, engine);
        try {
            d.startParts(clock, routes);
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private void startParts(Clock clock, java.util.function.Consumer<Daemon> routes) {
        // adopt the tasks a previous daemon left running (and record exits that happened while none
        // ran) before reconciling anything; a cgroup driver this node cannot use fails the start here
        engine.runtime();
        // the metrics address is bound first: a port in use stops the start before anything else runs
        startMetrics();
        // snapshot directories without a record (a crash between mkdir and commit) go before anything
        // prepares new ones
        for (String n : engine.snapshotters().names()) {
            engine.snapshotters().get(n).cleanup();
        }
        SpecCodec codec = new SpecCodec();
        store = new ObjectStore(engine.metadata(), clock);
        events = new EventRecorder(engine.metadata(), clock);
        EventSink sink = new RecorderSink(events, metrics);
        registries = new Registries(config);
        closeables.add(registries);
        int workers = ControllerSettings.reconcileWorkers(config.get(ControllerSettings.RECONCILE_WORKERS),
                Runtime.getRuntime().availableProcessors());
        controller = new Controller(store, events, clock, workers, metrics.reconcile());
        closeables.add(controller);
        controller.register(new ImageReconciler(engine, registries, controller.lookup(), sink, IMAGE_REFRESH,
                controller::enqueue));
        controller.register(new SnapshotReconciler(engine, controller.lookup(), sink));
        var prober = ContainerWiring.register(controller, engine, sink, clock, closeables);
        SandboxWiring.register(controller, store, engine, registries, sink, clock);

        decoder = new CrdManifestDecoder(codec);
        manifests = watchManifests(Path.of(config.get(ControllerSettings.MANIFEST_DIR)), clock);
        // Kubernetes mode: the API server is one more source of the store (and sink of status, events)
        if (config.get(KubernetesSettings.ENABLED)) {
            kubernetes = KubernetesAgent.start(store, events, config);
            closeables.add(kubernetes);
        }
        metrics.objects(() -> store.list(null));
        metrics.sources(manifests::statuses);
        metrics.containers(engine.runtime());
        closeables.add(engine.gc().onCollected(metrics::collected));
        closeables.add(engine.observeTransfers(metrics.transfers()));

        api = new ApiServer(Path.of(config.get(ControllerSettings.API_ADDRESS)));
        api.observer(metrics::request);
        api.get("/version", () -> Map.of("version", BuildInfo.version(), "pid", ProcessHandle.current().pid()));
        api.get("/healthz", () -> Map.of("status", "ok"));
        api.get("/sources", this::sources);
        api.get("/stats", () -> Map.of("reconciles", controller.reconcileCount(), "failures", controller.failureCount(),
                "queueDepth", controller.queueDepth(), "objects", store.list(null).size(),
                "probeAttempts", prober.attempts()));
        new ObjectsApi(store, decoder).register(api);
        new EventsApi(events).register(api);
        new dev.berth.controller.api.ExecApi(engine).register(api);
        new dev.berth.controller.api.RolloutApi(store, engine.images(), controller::enqueue).register(api);
        api.route("POST", "/gc", req -> {
            boolean dry = Boolean.parseBoolean(req.query("dryRun", "false"));
            var r = engine.gc().collect(dry);
            return dev.berth.controller.api.ApiResponse.ok(Map.of("dryRun", dry, "removed",
                    r.removed().stream().map(Object::toString).toList(), "bytes", r.bytes(), "failures", r.failures()));
        });
        routes.accept(this);
        // gRPC first: once the local API answers, both sockets serve
        grpc = startGrpc(clock);
        closeables.add(grpc);
        api.start();
        closeables.add(api);
        apiServing = true;

        schedules = new Schedules();
        closeables.add(schedules);
        Duration resync = config.get(ControllerSettings.RESYNC_INTERVAL);
        schedules.every("resync", resync, resync, () -> {
            manifests.rescan();
            controller.resync();
        });
        // garbage collection: containerd's policy (mutation/deletion thresholds, pause share); object
        // applies count as mutations, removals as deletions. The timer fires when the policy says a
        // collection is due (each trigger re-arms it), not every second to ask: an idle daemon's
        // scheduler sleeps until the next resync or gc_max_interval.
        GcScheduler gc = GcScheduler.from(config, clock);
        Schedules.Timer gcTimer = schedules.timer("gc", () -> gc.nextRun().map(at -> Duration.between(clock.instant(), at)),
                () -> gc.runIfDue(engine.gc()).ifPresent(r -> {
                    if (!r.removed().isEmpty() || !r.failures().isEmpty()) {
                        LOG.info("garbage collection removed {} object(s), {} bytes, in {} ms{}", r.removed().size(),
                                r.bytes(), r.took().toMillis(), r.failures().isEmpty() ? "" : "; failures: " + r.failures());
                    }
                }));
        store.addListener(e -> {
            switch (e.cause()) {
                case APPLY -> {
                    gc.mutated();
                    gcTimer.rearm();
                }
                case REMOVAL -> {
                    gc.deleted();
                    gcTimer.rearm();
                }
                default -> {
                }
            }
        });
        // resume: everything is reconciled once at start
        controller.resync();
        LOG.info("berth daemon {} started: root={} state={} api={} manifests={} ({} objects)", BuildInfo.version(),
                config.get(EngineSettings.ROOT), config.get(EngineSettings.STATE),
                config.get(ControllerSettings.API_ADDRESS), manifests.directory(), store.list(null).size());
    }

    private ManifestDirectorySource watchManifests(Path dir, Clock clock) {
        ManifestDirectorySource source = new ManifestDirectorySource(dir, store, decoder, clock);
        closeables.add(source);
        source.watch(200, () -> {
        });
        return source;
    }

    /**
     * Takes a freshly read config.toml (what {@code systemctl reload berth}, SIGHUP, asks for) without
     * touching a running container. The {@link ConfigChanges#live() live} settings are applied at
     * once: a new {@code manifest_dir} is watched instead of the old one, a new {@code resync_interval}
     * reschedules the resync, a new {@code [metrics] address} is bound before the old one closes (one
     * that cannot be bound leaves the old serving, and stays pending), registry settings (hosts.toml directory, auth_file, pull progress timeout)
     * apply from the next pull, and the pause image, CNI directories and download concurrency from the
     * next sandbox or pull (containers already running keep what they started with). Then the manifest
     * directory is read again and every object is reconciled once. Settings the engine, the runtime
     * and the sockets were opened with cannot change under them: each one that differs is listed as
     * pending, with its old and new value, and takes effect at the next restart (containerd has no
     * reload at all). Both lists are logged in one line.
     *
     * @return what changed, applied and pending
     */
    public synchronized ConfigChanges reload(Config fresh, Clock clock) {
        if (closed) {
            return new ConfigChanges(List.of(), List.of());
        }
        ConfigChanges changes = ConfigChanges.between(config, fresh);
        Config before = config;
        Config merged = ConfigChanges.merged(config, fresh);
        String metricsAddress = merged.get(ControllerSettings.METRICS_ADDRESS);
        if (!metricsAddress.equals(before.get(ControllerSettings.METRICS_ADDRESS)) && !moveMetrics(metricsAddress)) {
            merged = merged.withValueOf(ControllerSettings.METRICS_ADDRESS, before);
            changes = changes.refused(ControllerSettings.METRICS_ADDRESS);
        }
        config = merged;
        engine.reconfigure(fresh);
        registries.reconfigure(fresh);
        Duration resync = config.get(ControllerSettings.RESYNC_INTERVAL);
        if (!resync.equals(before.get(ControllerSettings.RESYNC_INTERVAL))) {
            schedules.reschedule("resync", resync);
        }
        Path dir = Path.of(config.get(ControllerSettings.MANIFEST_DIR));
        if (!dir.equals(manifests.directory())) {
            ManifestDirectorySource old = manifests;
            manifests = watchManifests(dir, clock);
            closeables.remove(old);
            old.close();
            LOG.info("manifest directory is now {} (was {})", dir, old.directory());
        }
        manifests.rescan();
        controller.resync();
        LOG.info("reloaded {}: manifests re-read, {} object(s) resynced; {}", fresh.source().map(Path::toString)
                .orElse("the built-in defaults"), store.list(null).size(), changes.describe());
        return changes;
    }

    /**
     * The metrics and health endpoint on {@code [metrics] address}, off when it is empty (containerd's
     * default). Readiness: stores open, local API serving, every object reconciled once since start,
     * and in Kubernetes mode the informers listed and watching.
     */
    private void startMetrics() {
        metricsEndpoint = metricsOn(config.get(ControllerSettings.METRICS_ADDRESS));
        if (metricsEndpoint != null) {
            closeables.add(metricsEndpoint);
        }
    }

    /** The endpoint bound on {@code address}, or null for an empty address. */
    private MetricsEndpoint metricsOn(String address) {
        if (address.isBlank()) {
            return null;
        }
        Map<String, java.util.function.BooleanSupplier> ready = new LinkedHashMap<>();
        ready.put("stores open", () -> store != null && !closed);
        ready.put("local API serving", () -> apiServing);
        ready.put("first resync done", () -> controller != null && controller.firstResyncDone());
        if (config.get(KubernetesSettings.ENABLED)) {
            ready.put("informers synced", () -> kubernetes != null && kubernetes.watching());
        }
        MetricsEndpoint endpoint = MetricsEndpoint.start(address, metrics.registry(), ready);
        LOG.info("metrics on http://{}/v1/metrics (and /metrics, /healthz, /readyz)", address);
        return endpoint;
    }

    /**
     * Moves the metrics endpoint to {@code address} (a reload): the new one is bound before the old one
     * closes, so an address that cannot be bound leaves the old endpoint serving; false then.
     */
    private boolean moveMetrics(String address) {
        MetricsEndpoint next;
        try {
            next = metricsOn(address);
        } catch (RuntimeException e) {
            LOG.error("reload: the metrics endpoint stays where it is: {}", e.getMessage());
            return false;
        }
        MetricsEndpoint old = metricsEndpoint;
        metricsEndpoint = next;
        if (old != null) {
            closeables.remove(old);
            old.close();
        }
        if (next != null) {
            closeables.add(next);
        } else {
            LOG.info("metrics endpoint off");
        }
        return true;
    }

    /** The metrics endpoint, or null when {@code [metrics] address} is empty. */
    public MetricsEndpoint metricsEndpoint() {
        return metricsEndpoint;
    }

    /** Every metric the daemon exposes. */
    public DaemonMetrics metrics() {
        return metrics;
    }

    /** containerd's gRPC API on {@code [grpc] address} (by default containerd.sock in the state directory). */
    private GrpcServer startGrpc(Clock clock) {
        Path socket = config.isSet(ControllerSettings.GRPC_ADDRESS) ? Path.of(config.get(ControllerSettings.GRPC_ADDRESS))
                : engine.state().resolve("containerd.sock");
        var parts = new GrpcServer.Parts(engine.root(), engine.content(), engine.images(), engine.snapshotters()::get,
                config.get(dev.berth.engine.snapshots.SnapshotSettings.SNAPSHOTTER),
                engine.snapshotters().names(), engine.applier(), engine.leases(), engine.runtime(), engine.containers(),
                engine.events(),
                this::namespaces, engine.namespaces(), this::namespaceContents, BuildInfo.version(), BuildInfo.revision());
        return GrpcServer.start(socket, 16 << 20, parts, clock,
                metrics.grpc(config.get(ControllerSettings.METRICS_GRPC_HISTOGRAM)));
    }

    /** The namespaces that hold something: containerd's {@code default}, the objects' and the tasks'. */
    private java.util.Set<String> namespaces() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        out.add("default");
        store.list(null).forEach(o -> out.add(o.key().namespace()));
        engine.runtime().list(null).forEach(t -> out.add(t.namespace()));
        return out;
    }

    /** What namespace {@code ns} still holds ("2 task(s), 1 object(s)"), or null when nothing. */
    private String namespaceContents(String ns) {
        long tasks = engine.runtime().list(ns).size();
        long objects = store.list(null).stream().filter(o -> o.key().namespace().equals(ns)).count();
        if (tasks == 0 && objects == 0) {
            return null;
        }
        return tasks + " task(s) and " + objects + " object(s)";
    }

    /** The containerd gRPC server (containerd.sock). */
    public GrpcServer grpc() {
        return grpc;
    }

    private Object sources() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (SourceStatus s : manifests.statuses()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", s.source());
            m.put("lastScan", s.lastScan().toString());
            m.put("objects", s.objects());
            m.put("error", s.error());
            items.add(m);
        }
        Map<String, Object> api = new LinkedHashMap<>();
        api.put("source", ObjectsApi.SOURCE);
        api.put("objects", store.listBySource(ObjectsApi.SOURCE).size());
        api.put("error", null);
        items.add(api);
        return Map.of("items", items);
    }

    public Engine engine() {
        return engine;
    }

    public Config config() {
        return config;
    }

    /** The local API server; routes added later are served too (the CLI adds {@code /cli}). */
    public ApiServer api() {
        return api;
    }

    public ObjectStore store() {
        return store;
    }

    public Controller controller() {
        return controller;
    }

    public EventRecorder events() {
        return events;
    }

    /** Enqueues an object now (tests, API). */
    public void enqueue(ObjectRef ref) {
        controller.enqueue(ref);
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
            for (int i = closeables.size() - 1; i >= 0; i--) {
                try {
                    closeables.get(i).close();
                } catch (Exception e) {
                    LOG.warn("stopping {}: {}", closeables.get(i).getClass().getSimpleName(), e.toString());
                }
            }
            engine.close();
            LOG.info("berth daemon stopped");
        } finally {
            stopped.countDown();
        }
    }
}
