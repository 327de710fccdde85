package dev.berth.controller.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The metrics and health listener on {@code [metrics] address} (TCP {@code host:port}, as
 * containerd's): the Prometheus text format or OpenMetrics, chosen by the scraper's Accept header,
 * on {@code /v1/metrics} (containerd's path) and {@code /metrics}; {@code /healthz} answers 200 while
 * the process serves; {@code /readyz} answers 200 once every readiness check passes, else 503 naming
 * the ones that do not. Served by the JDK's HTTP server and the Prometheus client's handler on two
 * daemon threads. Thread-safe; {@link #close} is idempotent.
 */
public final class MetricsEndpoint implements AutoCloseable {
    /** The config key, for messages. */
    public static final String KEY = "[metrics] address";

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, BooleanSupplier> checks;
    private boolean closed;

    private MetricsEndpoint(HttpServer server, ExecutorService executor, Map<String, BooleanSupplier> checks) {
        this.server = server;
        this.executor = executor;
        this.checks = checks;
    }

    /**
     * Binds {@code address} and serves {@code registry}. {@code readiness} maps a check's name to
     * whether it passes. Fails with INVALID_ARGUMENT for an address that is not host:port and
     * UNAVAILABLE when it cannot be bound, naming the key, the address and the reason.
     */
    public static MetricsEndpoint start(String address, PrometheusRegistry registry, Map<String, BooleanSupplier> readiness) {
        InetSocketAddress bind = parse(address);
        HttpServer server;
        try {
            server = HttpServer.create(bind, 16);
        } catch (IOException e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, KEY + " = \"" + address + "\": cannot listen there: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + " (is another process on that port? choose a free host:port, or set it to \"\" to turn metrics off)", e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        });
        MetricsEndpoint m = new MetricsEndpoint(server, executor, new LinkedHashMap<>(readiness));
        MetricsHandler metrics = new MetricsHandler(registry);
        server.createContext("/v1/metrics", metrics);
        server.createContext("/metrics", metrics);
        server.createContext("/healthz", ex -> reply(ex, 200, "ok\n"));
        server.createContext("/readyz", m::ready);
        server.setExecutor(executor);
        server.start();
        return m;
    }

    /** {@code host:port}, {@code [v6]:port} or {@code :port} (every address). */
    static InetSocketAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? "" : address.substring(0, colon);
        String port = colon < 0 ? "" : address.substring(colon + 1);
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535) {
            throw BerthException.invalid("%s = \"%s\" is not host:port (e.g. \"127.0.0.1:1338\"; \"\" turns metrics off)",
                    KEY, address);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.isEmpty() ? new InetSocketAddress(p) : new InetSocketAddress(host, p);
    }

    /** The port bound (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private void ready(HttpExchange ex) throws IOException {
        List<String> failing = new ArrayList<>();
        checks.forEach((name, check) -> {
            boolean ok;
            try {
                ok = check.getAsBoolean();
            } catch (RuntimeException e) {
                ok = false;
            }
            if (!ok) {
                failing.add(name);
            }
        });
        if (failing.isEmpty()) {
            reply(ex, 200, "ok\n");
        } else {
            reply(ex, 503, "not ready: " + String.join(", ", failing) + "\n");
        }
    }

    private static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        executor.shutdownNow();
    }
}
