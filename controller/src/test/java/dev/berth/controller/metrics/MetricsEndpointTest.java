package dev.berth.controller.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.queue.Dispatcher;
import dev.berth.controller.queue.WorkQueue;
import dev.berth.crd.ObjectRef;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.reconcilers.Result;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The endpoint's paths, content negotiation, health, readiness and start-up errors, on 127.0.0.1. */
class MetricsEndpointTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesBothPathsInBothFormatsWithHealthAndReadiness() throws Exception {
        DaemonMetrics metrics = new DaemonMetrics();
        WorkQueue<ObjectRef> queue = new WorkQueue<>(Clock.systemUTC(),
                dev.berth.controller.queue.MaxOfRateLimiter.defaultFor(Clock.systemUTC()), metrics.reconcile());
        metrics.reconcile().watch(queue);
        ObjectRef web = new ObjectRef("Container", "default", "web");
        queue.add(web);
        queue.add(web);
        ObjectRef taken = queue.poll();
        queue.done(taken);
        Dispatcher.Listener l = metrics.reconcile();
        l.reconciled(web, Result.converged(), Duration.ofMillis(3));
        l.failed(web, new IllegalStateException("x"), Duration.ofMillis(1), Duration.ofSeconds(1));
        queue.addRateLimited(web);

        AtomicBoolean ready = new AtomicBoolean(false);
        Map<String, BooleanSupplier> checks = new LinkedHashMap<>();
        checks.put("first resync done", ready::get);
        try (MetricsEndpoint m = MetricsEndpoint.start("127.0.0.1:0", metrics.registry(), checks)) {
            HttpResponse<String> text = get(m.port(), "/v1/metrics", null);
            assertEquals(200, text.statusCode());
            assertTrue(text.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    text.headers().toString());
            String body = text.body();
            assertTrue(body.contains("controller_runtime_reconcile_total{controller=\"container\",result=\"success\"} 1.0"), body);
            assertTrue(body.contains("controller_runtime_reconcile_total{controller=\"container\",result=\"error\"} 1.0"), body);
            assertTrue(body.contains("controller_runtime_reconcile_errors_total{controller=\"container\"} 1.0"), body);
            assertTrue(body.contains("controller_runtime_reconcile_time_seconds_count{controller=\"container\"} 2"), body);
            assertTrue(body.contains("workqueue_adds_total{name=\"berth\"} 1.0"), "a duplicate add is not counted: " + body);
            assertTrue(body.contains("workqueue_retries_total{name=\"berth\"} 1.0"), body);
            assertTrue(body.contains("workqueue_queue_duration_seconds_count{name=\"berth\"} 1"), body);
            assertTrue(body.contains("workqueue_work_duration_seconds_count{name=\"berth\"} 1"), body);
            assertTrue(body.contains("workqueue_depth{name=\"berth\"} 0.0"), body);
            assertTrue(body.contains("workqueue_longest_running_processor_seconds{name=\"berth\"}"), body);
            assertTrue(body.contains("jvm_memory_used_bytes"), "the client's JVM metrics");
            assertTrue(body.contains("process_cpu_seconds_total"), "the client's process metrics");

            HttpResponse<String> om = get(m.port(), "/metrics", "application/openmetrics-text; version=1.0.0");
            assertTrue(om.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
            assertTrue(om.body().endsWith("# EOF\n"), "OpenMetrics ends with EOF");

            assertEquals("ok\n", get(m.port(), "/healthz", null).body());
            HttpResponse<String> notReady = get(m.port(), "/readyz", null);
            assertEquals(503, notReady.statusCode());
            assertEquals("not ready: first resync done\n", notReady.body());
            ready.set(true);
            assertEquals(200, get(m.port(), "/readyz", null).statusCode());
        }
    }

    @Test
    void anAddressInUseStopsTheStartNamingKeyAddressAndReason() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            BerthException e = assertThrows(BerthException.class,
                    () -> MetricsEndpoint.start(address, new DaemonMetrics().registry(), Map.of()));
            assertEquals(ErrorCategory.UNAVAILABLE, e.category());
            assertTrue(e.getMessage().startsWith("[metrics] address = \"" + address + "\": cannot listen there: "),
                    e.getMessage());
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        BerthException bad = assertThrows(BerthException.class,
                () -> MetricsEndpoint.start("localhost", new DaemonMetrics().registry(), Map.of()));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, bad.category());
        assertTrue(bad.getMessage().contains("[metrics] address = \"localhost\" is not host:port"), bad.getMessage());
    }
}
