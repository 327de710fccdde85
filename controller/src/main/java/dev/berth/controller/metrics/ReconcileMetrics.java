package dev.berth.controller.metrics;

import dev.berth.controller.queue.Dispatcher;
import dev.berth.controller.queue.QueueMetrics;
import dev.berth.controller.queue.WorkQueue;
import dev.berth.crd.ObjectRef;
import dev.berth.reconcilers.Result;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The reconcile loop's metrics under the names the controller ecosystem uses, so controller-runtime
 * and client-go dashboards work: {@code controller_runtime_reconcile_total{controller,result}},
 * {@code controller_runtime_reconcile_errors_total}, {@code controller_runtime_reconcile_time_seconds},
 * and the {@code workqueue_*} family for the controller's one queue (label {@code name="berth"}).
 * It is the {@link Dispatcher.Listener} and the {@link QueueMetrics} of the one dispatcher and queue
 * every kind goes through; {@code controller} is the kind in lower case, as controller-runtime names
 * a controller after its kind. Thread-safe.
 */
public final class ReconcileMetrics implements Dispatcher.Listener, QueueMetrics {
    /** The work queue's {@code name} label. */
    public static final String QUEUE = "berth";
    // controller-runtime's reconcile-time buckets
    private static final double[] RECONCILE_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4,
        0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25,
        30, 40, 50, 60};
    // client-go's workqueue buckets: 10 ns to 10 s by tens
    private static final double[] QUEUE_BUCKETS = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10};

    private final PrometheusRegistry registry;
    private final Counter reconciles;
    private final Counter errors;
    private final Histogram reconcileTime;
    private final Counter adds;
    private final Counter retries;
    private final Histogram queueDuration;
    private final Histogram workDuration;

    public ReconcileMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        reconciles = Counter.builder().name("controller_runtime_reconcile_total")
                .help("Total number of reconciliations per controller").labelNames("controller", "result")
                .withoutExemplars().register(registry);
        errors = Counter.builder().name("controller_runtime_reconcile_errors_total")
                .help("Total number of reconciliation errors per controller").labelNames("controller")
                .withoutExemplars().register(registry);
        reconcileTime = Histogram.builder().name("controller_runtime_reconcile_time_seconds")
                .help("Length of time per reconciliation per controller").labelNames("controller")
                .classicOnly().classicUpperBounds(RECONCILE_BUCKETS).withoutExemplars().register(registry);
        adds = Counter.builder().name("workqueue_adds_total").help("Total number of adds handled by workqueue")
                .labelNames("name").withoutExemplars().register(registry);
        retries = Counter.builder().name("workqueue_retries_total").help("Total number of retries handled by workqueue")
                .labelNames("name").withoutExemplars().register(registry);
        queueDuration = Histogram.builder().name("workqueue_queue_duration_seconds")
                .help("How long in seconds an item stays in workqueue before being requested").labelNames("name")
                .classicOnly().classicUpperBounds(QUEUE_BUCKETS).withoutExemplars().register(registry);
        workDuration = Histogram.builder().name("workqueue_work_duration_seconds")
                .help("How long in seconds processing an item from workqueue takes").labelNames("name")
                .classicOnly().classicUpperBounds(QUEUE_BUCKETS).withoutExemplars().register(registry);
    }

    /** Registers the gauges read from {@code queue} at scrape time (depth, unfinished work, longest running). */
    public void watch(WorkQueue<?> queue) {
        GaugeWithCallback.builder().name("workqueue_depth").help("Current depth of workqueue").labelNames("name")
                .callback(cb -> cb.call(queue.depth(), QUEUE)).register(registry);
        GaugeWithCallback.builder().name("workqueue_unfinished_work_seconds")
                .help("How many seconds of work has been done that is in progress and hasn't been observed by "
                        + "work_duration. Large values indicate stuck threads.")
                .labelNames("name")
                .callback(cb -> cb.call(seconds(queue.inFlightAges(), false), QUEUE)).register(registry);
        GaugeWithCallback.builder().name("workqueue_longest_running_processor_seconds")
                .help("How many seconds has the longest running processor for workqueue been running.")
                .labelNames("name")
                .callback(cb -> cb.call(seconds(queue.inFlightAges(), true), QUEUE)).register(registry);
    }

    private static double seconds(List<Duration> ages, boolean longest) {
        double out = 0;
        for (Duration d : ages) {
            double s = d.toNanos() / 1e9;
            out = longest ? Math.max(out, s) : out + s;
        }
        return out;
    }

    /** controller-runtime's controller name for a kind. */
    static String controller(ObjectRef key) {
        return key.kind().toLowerCase(Locale.ROOT);
    }

    @Override
    public void reconciled(ObjectRef key, Result result, Duration took) {
        String c = controller(key);
        String outcome = result instanceof Result.Converged ? "success"
                : result instanceof Result.RequeueAfter ? "requeue_after" : "requeue";
        reconciles.labelValues(c, outcome).inc();
        reconcileTime.labelValues(c).observe(took.toNanos() / 1e9);
    }

    @Override
    public void failed(ObjectRef key, Throwable error, Duration took, Duration retryIn) {
        String c = controller(key);
        reconciles.labelValues(c, "error").inc();
        errors.labelValues(c).inc();
        reconcileTime.labelValues(c).observe(took.toNanos() / 1e9);
    }

    @Override
    public void added() {
        adds.labelValues(QUEUE).inc();
    }

    @Override
    public void taken(Duration queued) {
        queueDuration.labelValues(QUEUE).observe(queued.toNanos() / 1e9);
    }

    @Override
    public void done(Duration worked) {
        workDuration.labelValues(QUEUE).observe(worked.toNanos() / 1e9);
    }

    @Override
    public void retried() {
        retries.labelValues(QUEUE).inc();
    }
}
