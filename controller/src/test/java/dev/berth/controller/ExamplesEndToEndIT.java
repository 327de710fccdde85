package dev.berth.controller;

import dev.berth.engine.testing.RootOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.controller.cli.Main;
import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.snapshots.Kind;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.PauseImage;
import dev.berth.engine.testing.TestNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The declarative core end to end, with the daemon as a separate process: the examples converge to
 * running containers with their limits in force; a manifest edit is applied live or by recreate as
 * classified; a daemon killed with SIGKILL in the middle of a start comes back without duplicates;
 * removing the files removes the containers and leaves no mount, task or container snapshot behind.
 * The web example runs in a Sandbox on a CNI network of the test's own and answers on its host port.
 */
@RootOnly("needs root for runc and overlay mounts")
class ExamplesEndToEndIT {
    private static final Path EXAMPLES = Path.of("..", "examples", "local");

    @TempDir
    Path tmp;
    Path configFile;
    Path manifests;
    Path socket;
    DaemonProcess daemon;
    HostCleanup hostCleanup;
    final String cgroupParent = "/berth-e2e-" + Long.toHexString(System.nanoTime());
    TestNetwork net;
    int hostPort;
    private static final String PAUSE = "localhost/berth/pause:e2e";

    @BeforeEach
    void setUp() throws Exception {
        // the web example's sandbox: a CNI network and host port of this test's own, Berth's pause
        hostCleanup = HostCleanup.under(null).cgroup(cgroupParent);
        net = TestNetwork.create(tmp.resolve("net"), hostCleanup);
        hostPort = TestNetwork.freeTcpPort();
        daemon = DaemonProcess.create(tmp, cgroupParent, """
                [plugins."io.containerd.cri.v1.images".pinned_images]
                sandbox = "%s"
                [plugins."io.containerd.cri.v1.runtime".cni]
                conf_dir = "%s"
                """.formatted(PAUSE, net.confDir()));
        configFile = daemon.configFile();
        manifests = daemon.manifests();
        socket = daemon.socket();
        BuiltImage img = OciImageBuilder.busybox().build();
        try (Engine e = Engine.open(config())) {
            // through the importer, as users get images in: it writes the GC labels that keep the
            // config and layers referenced
            img.writeLayout(tmp.resolve("layout"), "latest");
            new dev.berth.engine.images.archive.ImageImporter(e.content(), e.images(), e.leases()).importFrom(
                    tmp.resolve("layout"), dev.berth.engine.images.archive.ImportOptions.defaults()
                            .withName("localhost/berth/busybox:latest"));
            PauseImage.importAs(e, PAUSE, tmp);
        }
    }


    private Config config() {
        return daemon.config();
    }

    private void startDaemon() {
        daemon.start();
    }

    private void killDaemon() throws Exception {
        if (daemon != null) {
            daemon.kill();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        killDaemon();
        if (configFile == null || !Files.exists(configFile)) {
            return;
        }
        try (Engine e = Engine.open(config())) {
            // sandboxes first: CNI DEL releases addresses and port rules, then the netns goes
            for (var info : e.containers().list(null)) {
                if (info.id().endsWith("_pause")) {
                    e.sandboxes().remove(info.namespace(), info.id().substring(0, info.id().length() - "_pause".length()));
                }
            }
            for (TaskStatus t : e.runtime().list(null)) {
                e.runtime().delete(t.namespace(), t.id(), true);
            }
        } finally {
            try {
                MountTable.cleanUnder(tmp);
            } finally {
                hostCleanup.close();
            }
        }
    }


    private JsonNode container(ApiClient c, String name) {
        return c.get(ObjectsApi.BASE + "/namespaces/default/containers/" + name);
    }

    private static boolean phase(JsonNode o, String phase) {
        return phase.equals(o.path("status").path("phase").asText())
                && o.path("status").path("observedGeneration").asLong() == o.path("metadata").path("generation").asLong();
    }

    @Test
    void examplesConvergeEditsApplyKillRecoversDeleteCleansUp() throws Exception {
        try {
            scenario();
        } catch (Throwable t) {
            // the daemon's log says why; the temp dir is gone after the test
            Path log = tmp.resolve("daemon.log");
            String text = Files.exists(log) ? Files.readString(log) : "(no daemon log)";
            Files.writeString(Path.of("target", "ExamplesEndToEndIT-daemon.log"), text);
            throw new AssertionError(t.getMessage() + "\n--- daemon log tail ---\n"
                    + text.substring(Math.max(0, text.length() - 6000)), t);
        }
    }

    private void scenario() throws Exception {
        for (String f : List.of("busybox-image.yaml", "hello-world.yaml", "web-server.yaml", "resource-limited.yaml")) {
            Files.copy(EXAMPLES.resolve(f), manifests.resolve(f));
        }
        Files.writeString(manifests.resolve("web-server.yaml"), Files.readString(manifests.resolve("web-server.yaml"))
                .replace("hostPort: 18080", "hostPort: " + hostPort));
        startDaemon();
        try (ApiClient c = ApiClient.connect(socket)) {
            Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> phase(container(c, "web"), "Running")
                    && phase(container(c, "limited"), "Running"));
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> container(c, "hello-world").path("status")
                    .path("exitCode").asText().equals("0"));
            JsonNode limited = container(c, "limited");
            assertEquals(16L << 20, limited.path("status").path("limits").path("memoryBytes").asLong());
            assertEquals(32, limited.path("status").path("limits").path("pids").asLong());
            long limitedPid = limited.path("status").path("pid").asLong();
            long webPid = container(c, "web").path("status").path("pid").asLong();
            assertTrue(ProcessHandle.of(webPid).isPresent(), "web's process runs on the node");
            // the web example answers on its host port, through the sandbox's portmap rules
            assertEquals("<h1>Hello from Berth</h1>", TestNetwork.httpGet("http://127.0.0.1:" + hostPort + "/").strip());
            assertTrue(Files.readString(tmp.resolve("logs/default/hello-world.log")).contains("Hello from Berth"));

            // store commands run through the daemon that owns the root, with the same output
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            assertEquals(0, Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                    "--config", configFile.toString(), "images", "ls", "-q"), err.toString());
            assertEquals(List.of("localhost/berth/busybox:latest", PAUSE), out.toString().strip().lines().sorted().toList());
            out.getBuffer().setLength(0);
            assertEquals(0, Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                    "--config", configFile.toString(), "tasks", "ls"), err.toString());
            assertTrue(out.toString().contains("web") && out.toString().contains("limited"), out.toString());
            // a command that reads a local file runs in the daemon too (client and daemon share the file system)
            out.getBuffer().setLength(0);
            assertEquals(0, Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                    "--config", configFile.toString(), "images", "import", "--name", "localhost/berth/again:latest",
                    tmp.resolve("layout").toString()), err.toString());
            assertTrue(out.toString().startsWith("imported localhost/berth/again:latest"), out.toString());

            // edit: a memory change is applied to the running task, an args change recreates
            Files.writeString(manifests.resolve("resource-limited.yaml"),
                    Files.readString(manifests.resolve("resource-limited.yaml")).replace("memory: 16Mi", "memory: 24Mi"));
            Files.writeString(manifests.resolve("web-server.yaml"),
                    Files.readString(manifests.resolve("web-server.yaml")).replace("-p 8080", "-p 8090"));
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> container(c, "limited").path("status")
                    .path("limits").path("memoryBytes").asLong() == 24L << 20);
            assertEquals(limitedPid, container(c, "limited").path("status").path("pid").asLong(), "updated in place");
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> phase(container(c, "web"), "Running")
                    && container(c, "web").path("status").path("pid").asLong() != webPid);
        }

        // SIGKILL the daemon in the middle of a start, then restart it
        Files.writeString(manifests.resolve("late.yaml"), Files.readString(EXAMPLES.resolve("resource-limited.yaml"))
                .replace("name: limited", "name: late"));
        try (ApiClient c = ApiClient.connect(socket)) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> !container(c, "late").path("status").path("phase").isMissingNode()
                            || Files.exists(tmp.resolve("state/tasks/default/late")));
        } catch (BerthException e) {
            // the object may not be stored yet; the kill below still interrupts the start
        }
        killDaemon();
        startDaemon();
        try (ApiClient c = ApiClient.connect(socket)) {
            Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> phase(container(c, "late"), "Running")
                    && phase(container(c, "limited"), "Running") && phase(container(c, "web"), "Running"));
        }
        killDaemon();
        try (Engine e = Engine.open(config())) {
            List<String> ids = new ArrayList<>();
            e.runtime().list(null).forEach(t -> ids.add(t.id()));
            assertEquals(List.of("hello-world", "late", "limited", "web", "web_pause"), ids.stream().sorted().toList(),
                    "one task per container and one pause per sandbox, none duplicated");
        }
        startDaemon();

        // removing the files removes the containers and their node state
        for (String f : List.of("hello-world.yaml", "web-server.yaml", "resource-limited.yaml", "late.yaml")) {
            Files.delete(manifests.resolve(f));
        }
        try (ApiClient c = ApiClient.connect(socket)) {
            Awaitility.await().atMost(Duration.ofSeconds(90))
                    .until(() -> c.get(ObjectsApi.BASE + "/containers").path("items").isEmpty()
                            && c.get(ObjectsApi.BASE + "/sandboxes").path("items").isEmpty());
        }
        killDaemon();
        try (Engine e = Engine.open(config())) {
            assertEquals(List.of(), e.runtime().list(null), "no task left");
            List<String> active = new ArrayList<>();
            e.snapshotter().walk(i -> {
                if (i.kind() != Kind.COMMITTED) {
                    active.add(i.name());
                }
            });
            assertEquals(List.of(), active, "no container snapshot left");
        }
        assertEquals(List.of(), MountTable.under(tmp), "no mount left (netns included)");
        assertEquals(List.of(), net.reservations(), "no address reserved");
        assertEquals(List.of(), TestNetwork.iptablesLinesWith("web_pause"), "no port rule left");
        assertNotEquals(0, Files.size(tmp.resolve("daemon.log")));
    }
}
