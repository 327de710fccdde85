package dev.berth.controller.metrics;

import dev.berth.controller.source.SourceStatus;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.status.Condition;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.gc.GcResult;
import dev.berth.engine.transfer.TransferObserver;
import java.time.Duration;
import dev.berth.engine.runtime.TaskRuntime;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Every metric the daemon exposes, in one registry: containerd's per-container cgroup families
 * ({@link ContainerMetrics}), the reconcile loop's controller-runtime names ({@link ReconcileMetrics}),
 * Berth's own {@code berth_*} families (objects by kind and readiness, reconciler events by kind and
 * reason, which counts drift repairs, restarts, crash-loop back-offs, pulls and unpacks; manifest
 * files that do not parse; image pulls (bytes, duration, failures by error category) and unpack
 * durations; garbage collections and what they removed; local API requests by route
 * and code) and the JVM and process metrics of the Prometheus client. Thread-safe.
 */
public final class DaemonMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ReconcileMetrics reconcile = new ReconcileMetrics(registry);
    private static final String CRASH_LOOP = ContainerPhase.CrashLoopBackOff.name();
    private final Counter events;
    private final Counter drifts;
    private final Counter gcRuns;
    private final Counter gcRemoved;
    private final Counter gcBytes;
    private final Histogram gcTime;
    private final Counter pulls;
    private final Counter pullBytes;
    private final Histogram pullTime;
    private final Histogram unpackTime;
    private final Counter apiRequests;
    private final Histogram apiTime;

    public DaemonMetrics() {
        JvmMetrics.builder().register(registry);
        events = Counter.builder().name("berth_events_total")
                .help("Events recorded by reconcilers, by object kind, event type and reason (DriftRepaired, Restarted, "
                        + "BackOff, OOMKilled, Pulled, Unpacked, ...)")
                .labelNames("kind", "type", "reason").withoutExemplars().register(registry);
        drifts = Counter.builder().name("berth_drift_repairs_total")
                .help("Drift repairs: something an object owns changed on the node outside Berth and was put back, by "
                        + "object kind and what drifted (task, mount, snapshot, limits, network, content)")
                .labelNames("kind", "what").withoutExemplars().register(registry);
        gcRuns = Counter.builder().name("berth_gc_runs_total").help("Garbage collections run (not dry runs), by status")
                .labelNames("status").withoutExemplars().register(registry);
        gcRemoved = Counter.builder().name("berth_gc_removed_total").help("Objects removed by garbage collection, by kind")
                .labelNames("kind").withoutExemplars().register(registry);
        gcBytes = Counter.builder().name("berth_gc_removed_bytes_total").help("Bytes freed by garbage collection")
                .withoutExemplars().register(registry);
        gcTime = Histogram.builder().name("berth_gc_duration_seconds").help("How long a garbage collection took")
                .classicOnly().classicUpperBounds(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60)
                .withoutExemplars().register(registry);
        pulls = Counter.builder().name("berth_image_pulls_total")
                .help("Image pulls by result (success, or the error category: not_found, unavailable, permission_denied, ...)")
                .labelNames("result").withoutExemplars().register(registry);
        pullBytes = Counter.builder().name("berth_image_pull_bytes_total")
                .help("Bytes downloaded by image pulls (blobs already present count nothing)").withoutExemplars().register(registry);
        pullTime = Histogram.builder().name("berth_image_pull_duration_seconds").help("How long image pulls took, by result")
                .labelNames("result").classicOnly().classicUpperBounds(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
                .withoutExemplars().register(registry);
        unpackTime = Histogram.builder().name("berth_image_unpack_duration_seconds")
                .help("How long unpacking an image into a snapshotter took").labelNames("snapshotter").classicOnly()
                .classicUpperBounds(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120).withoutExemplars().register(registry);
        apiRequests = Counter.builder().name("berth_api_requests_total")
                .help("Local API requests, by method, route and HTTP status code").labelNames("method", "path", "code")
                .withoutExemplars().register(registry);
        apiTime = Histogram.builder().name("berth_api_request_duration_seconds")
                .help("Local API request handling time, by method and route").labelNames("method", "path")
                .classicOnly().classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
                .withoutExemplars().register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** The reconcile loop's and work queue's metrics, for the {@code Controller}. */
    public ReconcileMetrics reconcile() {
        return reconcile;
    }

    /**
     * The gRPC server's {@code grpc_server_*} families (go-grpc-prometheus's names, as containerd
     * exports them), with the handling-time histograms when {@code histogram} ({@code [metrics]
     * grpc_histogram}). Call once, for the one gRPC server.
     */
    public GrpcMetrics grpc(boolean histogram) {
        return new GrpcMetrics(registry, histogram);
    }

    /** containerd's {@code container_*} families for the tasks of {@code runtime}, read at scrape time. */
    public void containers(TaskRuntime runtime) {
        registry.register(new ContainerMetrics(runtime));
    }

    /**
     * {@code berth_objects{kind,phase,ready}}: the stored objects by kind, phase ({@code status.phase}
     * of the kinds that have one, else empty) and Ready condition; and {@code
     * berth_container_crashloop_backoff{namespace,name}}, 1 for each Container waiting in
     * CrashLoopBackOff. Both counted at scrape time from the statuses last written.
     */
    public void objects(Supplier<List<StoredObject>> objects) {
        GaugeWithCallback.builder().name("berth_objects")
                .help("Objects in the store by kind, phase (Container, Sandbox; empty for kinds without one) and Ready "
                        + "condition (True, False, Unknown)")
                .labelNames("kind", "phase", "ready").callback(cb -> {
                    Map<List<String>, Integer> counts = new TreeMap<>((a, b) -> String.join("/", a).compareTo(String.join("/", b)));
                    for (StoredObject o : objects.get()) {
                        String ready = o.status() == null ? "Unknown" : o.status().condition("Ready")
                                .map(Condition::status).orElse("Unknown");
                        counts.merge(List.of(o.key().kind(), phase(o), ready), 1, Integer::sum);
                    }
                    counts.forEach((k, n) -> cb.call(n, k.get(0), k.get(1), k.get(2)));
                }).register(registry);
        GaugeWithCallback.builder().name("berth_container_crashloop_backoff")
                .help("1 for each Container waiting in CrashLoopBackOff (restarting after repeated exits); "
                        + "count() of it is the number of crash-looping containers")
                .labelNames("namespace", "name").callback(cb -> {
                    for (StoredObject o : objects.get()) {
                        if (o.key().kind().equals("Container") && CRASH_LOOP.equals(phase(o))) {
                            cb.call(1, o.key().namespace(), o.key().name());
                        }
                    }
                }).register(registry);
    }

    private static String phase(StoredObject o) {
        String p = o.status() == null ? null : o.status().phaseName();
        return p == null ? "" : p;
    }

    /** Counts a drift repair: {@code what} of an object of {@code kind} had changed outside Berth. */
    public void drift(ObjectRef object, String what) {
        drifts.labelValues(object.kind(), what).inc();
    }

    /** {@code berth_source_files_failed}: manifest files whose last read failed (parse or validation errors). */
    public void sources(Supplier<List<SourceStatus>> statuses) {
        GaugeWithCallback.builder().name("berth_source_files_failed")
                .help("Manifest files that do not parse or validate now (their last good objects stay in force)")
                .callback(cb -> cb.call(statuses.get().stream().filter(s -> s.error() != null).count()))
                .register(registry);
        GaugeWithCallback.builder().name("berth_source_files")
                .help("Manifest files read by the manifest directory source").callback(cb -> cb.call(statuses.get().size()))
                .register(registry);
    }

    /** Counts an event a reconciler recorded. */
    public void event(ObjectRef object, String type, String reason) {
        events.labelValues(object.kind(), type, reason).inc();
    }

    /** Pulls and unpacks, from the engine's one puller and unpacker path. */
    public TransferObserver transfers() {
        return new TransferObserver() {
            @Override
            public void pulled(String ref, long bytes, Duration took) {
                pulls.labelValues("success").inc();
                pullBytes.inc(bytes);
                pullTime.labelValues("success").observe(took.toNanos() / 1e9);
            }

            @Override
            public void pullFailed(String ref, ErrorCategory reason, Duration took) {
                String r = reason.name().toLowerCase(java.util.Locale.ROOT);
                pulls.labelValues(r).inc();
                pullTime.labelValues(r).observe(took.toNanos() / 1e9);
            }

            @Override
            public void unpacked(String image, String snapshotter, long applied, Duration took) {
                unpackTime.labelValues(snapshotter).observe(took.toNanos() / 1e9);
            }
        };
    }

    /** Counts one garbage collection. */
    public void collected(GcResult r) {
        gcRuns.labelValues(r.failures().isEmpty() ? "success" : "partial").inc();
        r.removed().forEach(x -> gcRemoved.labelValues(x.kind().name().toLowerCase(java.util.Locale.ROOT)).inc());
        gcBytes.inc(r.bytes());
        gcTime.observe(r.took().toNanos() / 1e9);
    }

    /** Counts one local API request; {@code route} is the registered pattern, so paths stay few. */
    public void request(String method, String route, int code, long nanos) {
        apiRequests.labelValues(method, route, Integer.toString(code)).inc();
        apiTime.labelValues(method, route).observe(nanos / 1e9);
    }
}
