package dev.berth.controller.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.ControllerSettings;
import dev.berth.controller.Daemon;
import dev.berth.crd.ObjectRef;
import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.images.archive.ImageImporter;
import dev.berth.engine.images.archive.ImportOptions;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RootOnly;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The metrics endpoint against real parts: a daemon with a real container (runc under conmon, real
 * cgroup with a memory limit), scraped by a real Prometheus (Debian's 2.42) on 127.0.0.1 and queried
 * through its HTTP API; promtool lints the exposition; containerd's v1 names from docs/metrics.md are
 * all there; a deleted container's series go with it.
 */
@RootOnly("needs root for runc, cgroups and overlay mounts")
class MetricsPrometheusIT {
    private static final long LIMIT = 24L << 20;
    private static final long PAGE = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private Path dir;
    private String parent;
    private Path configFile;
    private int metricsPort;
    private Daemon daemon;
    private Process prometheus;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("berth-metrics-");
        parent = "/berth-metrics-it-" + UUID.randomUUID().toString().substring(0, 8);
        metricsPort = freePort();
        Files.createDirectories(dir.resolve("manifests"));
        configFile = dir.resolve("config.toml");
        Files.writeString(configFile, """
                version = 3
                root = "%1$s/root"
                state = "%1$s/state"
                [metrics]
                  address = "127.0.0.1:%2$d"
                  grpc_histogram = true
                [plugins."dev.berth.v1"]
                  api_address = "%1$s/state/berth.sock"
                  manifest_dir = "%1$s/manifests"
                  log_dir = "%1$s/logs"
                  cgroup_parent = "%3$s"
                """.formatted(dir, metricsPort, parent));
        try (Engine e = Engine.open(config())) {
            OciImageBuilder.busybox().build().writeLayout(dir.resolve("layout"), "latest");
            new ImageImporter(e.content(), e.images(), e.leases()).importFrom(dir.resolve("layout"),
                    ImportOptions.defaults().withName("localhost/berth/busybox:latest"));
        }
    }

    private Config config() {
        return new ConfigLoader(ControllerSettings.schema()).load(configFile);
    }

    @AfterEach
    void tearDown() {
        HostCleanup.under(dir).cgroup(parent).then(() -> {
            try (Engine e = Engine.open(config())) {
                for (TaskStatus t : e.runtime().list(null)) {
                    e.runtime().delete(t.namespace(), t.id(), true);
                }
            }
        }).then(() -> {
            if (daemon != null) {
                daemon.close();
            }
        }).then(() -> {
            if (prometheus != null) {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                }
            }
        }).close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    private String scrape() throws Exception {
        String r = get(metricsPort, "/v1/metrics");
        assertTrue(r.startsWith("200 "), r);
        return r.substring(4);
    }

    private void writeManifests() throws IOException {
        Files.writeString(dir.resolve("manifests/image.yaml"), """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata:
                  name: busybox
                spec:
                  ref: localhost/berth/busybox:latest
                  pullPolicy: Never
                """);
        Files.writeString(dir.resolve("manifests/web.yaml"), """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata:
                  name: metrics-web
                spec:
                  image: busybox
                  command: [/bin/busybox, sleep, "86400"]
                  resources:
                    memory: 24Mi
                    pids: 20
                  restartPolicy: Always
                """);
    }

    private TaskStatus runningTask() {
        return daemon.engine().runtime().list(null).stream().filter(t -> t.state() == TaskState.RUNNING).findFirst()
                .orElse(null);
    }

    @Test
    void prometheusScrapesContainerAndControllerMetrics() throws Exception {
        writeManifests();
        daemon = Daemon.start(config(), java.time.Clock.systemUTC(),
                d -> dev.berth.controller.cli.Forwarding.serve(d.api(), d.engine()));
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> runningTask() != null);
        TaskStatus task = runningTask();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> get(metricsPort, "/readyz").startsWith("200"));
        assertEquals("200 ok\n", get(metricsPort, "/healthz"));

        // every containerd v1 name of docs/metrics.md, with container_id and namespace
        String idLabel = "container_id=\"" + task.id() + "\"";
        String nsLabel = "namespace=\"" + task.namespace() + "\"";
        String body = scrape();
        List<String> missing = new ArrayList<>();
        for (String name : documentedV1Names()) {
            if (body.lines().noneMatch(l -> l.startsWith(name + "{") && l.contains(idLabel) && l.contains(nsLabel))) {
                missing.add(name);
            }
        }
        assertEquals(List.of(), missing, "containerd names missing from the scrape");
        assertTrue(body.contains("container_memory_usage_limit_bytes{" + idLabel + "," + nsLabel + ",runtime=\""
                + ContainerMetrics.RUNTIME + "\"} " + (double) LIMIT), "limit as in the spec");

        lint(body);
        assertTrue(body.contains("berth_events_total{kind=\"Container\",reason=\"Started\",type=\"Normal\"} 1.0"), body);
        assertTrue(body.lines().anyMatch(l -> l.startsWith("berth_image_unpack_duration_seconds_count{snapshotter=\"overlayfs\"} ")
                && !l.endsWith(" 0")), "the container's image was unpacked once at least");
        assertTrue(body.contains("berth_source_files 2.0") && body.contains("berth_source_files_failed 0.0"), body);

        // a real Prometheus scrapes the endpoint; its HTTP API answers PromQL over what it stored
        int promPort = freePort();
        Path promConfig = dir.resolve("prometheus.yml");
        Files.writeString(promConfig, """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: berth
                    metrics_path: /v1/metrics
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(metricsPort));
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + promConfig, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + promPort, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        String id = "container_id=\"" + task.id() + "\"";
        // until Prometheus listens, its port refuses connections
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptionsInstanceOf(java.io.IOException.class)
                .until(() -> query(promPort, "container_memory_usage_limit_bytes{" + id + "}") != null);
        assertEquals((double) LIMIT, query(promPort, "container_memory_usage_limit_bytes{" + id + "}"));
        assertEquals(20.0, query(promPort, "container_pids_limit{" + id + "}"));
        Path usageFile = Path.of("/sys/fs/cgroup/memory").resolve(task.cgroupPath().replaceFirst("^/", ""))
                .resolve("memory.usage_in_bytes");
        // the stored sample and the file are read at different moments: look until they agree
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            Double stored = query(promPort, "container_memory_usage_usage_bytes{" + id + "}");
            long file = Long.parseLong(Files.readString(usageFile).trim());
            return stored != null && Math.abs(stored - file) <= PAGE;
        });

        String reconciles = "sum(controller_runtime_reconcile_total{controller=\"container\"})";
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> query(promPort, reconciles) != null);
        double before = query(promPort, reconciles);
        assertTrue(before >= 1, "the Container controller reconciled: " + before);
        daemon.enqueue(new ObjectRef("Container", task.namespace(), "metrics-web"));
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> query(promPort, reconciles) > before);

        // the Grafana dashboard's queries are PromQL this Prometheus accepts
        for (JsonNode panel : JSON.readTree(Path.of("..", "manifests", "grafana", "berth-node.json").toFile()).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText().replace("$__rate_interval", "1m").replace("$__range", "5m")
                        .replace("$namespace", ".*").replace("$instance", ".*");
                String r = get(promPort, "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
                assertTrue(r.startsWith("200 "), panel.path("title").asText() + ": " + expr + " -> " + r);
            }
        }

        // berth stats, through the daemon: one sample as JSON, and the table
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(0, dev.berth.controller.cli.Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                "--config", configFile.toString(), "stats", "--no-stream", "-o", "json", task.id()), err.toString());
        JsonNode stats = JSON.readTree(out.toString());
        assertEquals(1, stats.size(), out.toString());
        assertEquals(task.id(), stats.get(0).path("id").asText());
        assertEquals(LIMIT, stats.get(0).path("memoryLimit").asLong());
        assertEquals(20, stats.get(0).path("pidsLimit").asLong());
        assertTrue(stats.get(0).path("memoryUsage").asLong() > 0, out.toString());
        out.getBuffer().setLength(0);
        assertEquals(0, dev.berth.controller.cli.Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                "--config", configFile.toString(), "stats", "--no-stream"), err.toString());
        assertTrue(out.toString().startsWith("NAMESPACE") && out.toString().contains(task.id())
                && out.toString().contains("/ 24.0 MiB"), out.toString());

        // deleting the container takes its series out of the next scrape
        Files.delete(dir.resolve("manifests/web.yaml"));
        Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> daemon.engine().runtime().find(task.namespace(), task.id()).isEmpty());
        String after = scrape();
        assertFalse(after.contains(id), "series of the deleted container are gone");
        assertTrue(after.contains("berth_objects{kind=\"Image\",phase=\"\",ready=\"True\"} 1.0"), "objects by kind and readiness");
    }

    /**
     * What the operator alerts on, each driven for real: a cgroup limit changed behind Berth's back
     * (a drift repair counted by what drifted), a container that keeps exiting (the crash-loop gauge
     * and the objects' phase), and Debian's ctr calling the gRPC API (containerd's grpc_server_*
     * names, with the handling-time histogram that grpc_histogram turns on).
     */
    @Test
    void driftCrashLoopAndGrpcCallsAreCounted() throws Exception {
        writeManifests();
        Files.writeString(dir.resolve("manifests/crash.yaml"), """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata:
                  name: metrics-crash
                spec:
                  image: busybox
                  command: [/bin/busybox, sh, -c, "exit 3"]
                  restartPolicy: Always
                """);
        daemon = Daemon.start(config());
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> daemon.engine().runtime().find("default", "metrics-web")
                .map(t -> t.state() == TaskState.RUNNING).orElse(false));
        TaskStatus web = daemon.engine().runtime().state("default", "metrics-web");

        // drift: someone lowers the memory limit in the cgroup itself (raising it past memsw is refused)
        Path limit = Path.of("/sys/fs/cgroup/memory").resolve(web.cgroupPath().replaceFirst("^/", ""))
                .resolve("memory.limit_in_bytes");
        Files.writeString(limit, Long.toString(LIMIT / 2));
        daemon.enqueue(new ObjectRef("Container", "default", "metrics-web"));
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> scrape().contains("berth_drift_repairs_total{kind=\"Container\",what=\"limits\"} 1.0"));
        assertEquals(LIMIT, Long.parseLong(Files.readString(limit).trim()), "the limit was put back");

        // a crash loop: the second exit waits out a back-off, and the gauge names the container
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> scrape()
                .contains("berth_container_crashloop_backoff{name=\"metrics-crash\",namespace=\"default\"} 1.0"));
        String body = scrape();
        assertTrue(body.lines().anyMatch(l -> l.startsWith("berth_objects{kind=\"Container\",phase=\"CrashLoopBackOff\",")
                && l.endsWith(" 1.0")), "objects by phase");
        assertTrue(body.lines().anyMatch(l -> l.startsWith("berth_objects{kind=\"Container\",phase=\"Running\",")
                && l.endsWith(" 1.0")), "objects by phase");
        assertFalse(body.contains("berth_container_crashloop_backoff{name=\"metrics-web\""), body);

        // gRPC: every method starts at zero, then a real ctr call counts and is timed
        String version = "grpc_method=\"Version\",grpc_service=\"containerd.services.version.v1.Version\",grpc_type=\"unary\"";
        assertTrue(body.contains("grpc_server_handled_total{grpc_code=\"NotFound\",grpc_method=\"Create\","
                + "grpc_service=\"containerd.services.tasks.v1.Tasks\",grpc_type=\"unary\"} 0.0"), "initialised at zero");
        assertTrue(body.contains("grpc_server_started_total{" + version + "} 0.0"), "initialised at zero");
        Process ctr = new ProcessBuilder("ctr", "--address", dir.resolve("state/containerd.sock").toString(),
                "--connect-timeout", "5s", "version").redirectErrorStream(true).start();
        String out = new String(ctr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ctr.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, ctr.exitValue(), out);
        body = scrape();
        assertTrue(body.contains("grpc_server_started_total{" + version + "} 1.0"), "started");
        assertTrue(body.contains("grpc_server_handled_total{grpc_code=\"OK\"," + version + "} 1.0"), "handled OK");
        assertTrue(body.contains("grpc_server_msg_received_total{" + version + "} 1.0"), "one request message");
        assertTrue(body.contains("grpc_server_msg_sent_total{" + version + "} 1.0"), "one response message");
        assertTrue(body.contains("grpc_server_handling_seconds_count{" + version + "} 1"), "timed");
        assertTrue(body.contains("grpc_server_handling_seconds_bucket{" + version + ",le=\"+Inf\"} 1"), "timed");
        lint(body);
    }

    /** Berth's own names pass promtool's lint; containerd's known findings are all that it reports. */
    private void lint(String exposition) throws Exception {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertFalse(out.contains("error while linting"), out);
        for (String line : out.lines().toList()) {
            assertTrue(line.startsWith("container_"), "promtool finding outside containerd's names: " + line + "\n" + out);
        }
    }

    /** The value of a one-series PromQL query, or null while Prometheus has none. */
    private Double query(int port, String promql) throws Exception {
        String r = get(port, "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!r.startsWith("200 ")) {
            return null;
        }
        JsonNode result = JSON.readTree(r.substring(4)).path("data").path("result");
        if (result.size() != 1) {
            return null;
        }
        return Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    private static List<String> documentedV1Names() throws IOException {
        List<String> names = new ArrayList<>();
        boolean in = false;
        for (String line : Files.readAllLines(Path.of("..", "docs", "metrics.md"))) {
            if (line.startsWith("### cgroup v1")) {
                in = true;
            } else if (line.startsWith("Also on cgroup v1") || line.startsWith("###")) {
                in = false;
            } else if (in && line.startsWith("| `container_")) {
                names.add(line.substring(3, line.indexOf('`', 3)));
            }
        }
        assertEquals(57, names.size(), "the 57 families of containerd 1.6.20's v1 scrape");
        return names;
    }
}
