package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RootOnly;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Regression (issue 12, recovery): a real daemon process is SIGKILLed again and again while it
 * recovers: while it opens the engine and re-adopts tasks, right after it answers, and while it is
 * restarting containers whose processes were killed while it was down. After a clean start every
 * Container is Running with exactly one process, whose parent is a live conmon monitoring that very
 * task; restartCount equals the number of times the container's command started, minus one; no
 * duplicate tasks; and once the manifests are removed, no mount or cgroup is left behind.
 */
@RootOnly("needs root for runc, conmon, overlay mounts and cgroups")
class RepeatedDaemonKillsIT {
    private static final int CONTAINERS = 6;
    private static final Duration WAIT = Duration.ofSeconds(60);

    Path tmp;
    Path socket;
    Path configFile;
    Path data;
    String parent = "/berth-kills-it-" + UUID.randomUUID().toString().substring(0, 8);
    /** A number no other process on the machine sleeps for: the containers' processes are found by it. */
    long marker = 700_000_000L + new Random().nextInt(90_000_000);
    Process daemon;
    int daemonStarts;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("berth-kills-");
        socket = tmp.resolve("state/berth.sock");
        data = Files.createDirectories(tmp.resolve("data"));
        Files.createDirectories(tmp.resolve("manifests"));
        configFile = tmp.resolve("config.toml");
        Files.writeString(configFile, """
                version = 3
                root = "%s"
                state = "%s"
                [plugins."dev.berth.v1"]
                api_address = "%s"
                manifest_dir = "%s"
                log_dir = "%s"
                cgroup_parent = "%s"
                """.formatted(tmp.resolve("root"), tmp.resolve("state"), socket, tmp.resolve("manifests"),
                tmp.resolve("logs"), parent));
        Config config = new ConfigLoader(ControllerSettings.schema()).load(configFile);
        try (Engine e = Engine.open(config)) {
            OciImageBuilder.busybox().build().importInto(e, tmp.resolve("layout"), "localhost/berth/busybox:latest");
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        HostCleanup.under(tmp).runcRoot("runc", tmp.resolve("state/runc"), true).cgroup(parent).then(() -> {
            if (daemon != null) {
                daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            // conmons outlive the daemon by design; the test's own are found by their bundle paths
            for (ProcessHandle p : monitors(tmp.toString())) {
                p.destroyForcibly();
            }
        }).close();
    }

    private void startDaemon() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        daemonStarts++;
        Files.writeString(tmp.resolve("daemon.log"), "---- start " + daemonStarts + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        daemon = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                dev.berth.controller.cli.Main.class.getName(), "--config", configFile.toString(), "daemon")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("daemon.log").toFile()))
                .start();
    }

    private boolean answers() {
        if (!Files.exists(socket)) {
            return false;
        }
        try (ApiClient c = ApiClient.connect(socket)) {
            return c.get("/healthz").path("status").asText().equals("ok");
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void kill() throws Exception {
        daemon.destroyForcibly();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "daemon gone after SIGKILL");
        daemon = null;
    }

    private Optional<JsonNode> status(String name) {
        try (ApiClient c = ApiClient.connect(socket)) {
            return Optional.of(c.get(ObjectsApi.BASE + "/namespaces/default/containers/" + name).path("status"));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String name(int i) {
        return "k" + i;
    }

    private int starts(int i) throws Exception {
        Path f = data.resolve(name(i));
        return Files.exists(f) ? (int) Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count() : 0;
    }

    /** Processes whose command line is this test's {@code sleep <marker+i>}. */
    private List<ProcessHandle> sleepers(int i) {
        String want = "sleep\0" + (marker + i) + "\0";
        return ProcessHandle.allProcesses().filter(p -> cmdline(p.pid()).equals(want)).toList();
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        } catch (Exception e) {
            return "";
        }
    }

    private static long ppid(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }

    /** conmon processes whose command line mentions {@code text}. */
    private static List<ProcessHandle> monitors(String text) {
        return ProcessHandle.allProcesses().filter(p -> {
            String c = cmdline(p.pid());
            return c.startsWith("/usr/bin/conmon\0") || c.startsWith("conmon\0") ? c.contains(text) : false;
        }).toList();
    }

    private void writeManifests() throws Exception {
        StringBuilder y = new StringBuilder("""
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: busybox}
                spec: {ref: "localhost/berth/busybox:latest", pullPolicy: Never}
                """);
        for (int i = 0; i < CONTAINERS; i++) {
            y.append("""
                    ---
                    apiVersion: berth.dev/v1alpha1
                    kind: Container
                    metadata: {name: %s}
                    spec:
                      image: busybox
                      command: [sh, -c]
                      args: ["echo $$ >> /data/%s; exec sleep %d"]
                      mounts:
                      - {destination: /data, type: Bind, source: "%s"}
                    """.formatted(name(i), name(i), marker + i, data));
        }
        Files.writeString(tmp.resolve("manifests/kills.yaml"), y.toString());
    }

    private boolean allRunning() {
        for (int i = 0; i < CONTAINERS; i++) {
            Optional<JsonNode> s = status(name(i));
            if (s.isEmpty() || !s.get().path("phase").asText().equals("Running") || sleepers(i).size() != 1) {
                return false;
            }
        }
        return true;
    }

    @Test
    void everyContainerEndsMonitoredAndCountedAfterKillsDuringRecovery() throws Exception {
        writeManifests();
        startDaemon();
        Awaitility.await().atMost(Duration.ofSeconds(120)).until(this::allRunning);
        kill();

        Random random = new Random(marker);
        List<String> rounds = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            // containers die while no daemon watches: the next start must record and restart them
            List<Integer> victims = new ArrayList<>();
            for (int i = 0; i < CONTAINERS; i++) {
                if (random.nextInt(2) == 0 || i == round % CONTAINERS) {
                    victims.add(i);
                    sleepers(i).forEach(ProcessHandle::destroyForcibly);
                }
            }
            Map<Integer, Integer> before = new HashMap<>();
            for (int i = 0; i < CONTAINERS; i++) {
                before.put(i, starts(i));
            }
            startDaemon();
            String when;
            switch (round % 3) {
                case 0 -> {
                    // while it opens the engine and adopts tasks: before the API answers
                    long delay = 300 + random.nextInt(6000);
                    Awaitility.await().pollDelay(Duration.ofMillis(delay)).atMost(Duration.ofSeconds(60)).until(() -> true);
                    when = "after " + delay + " ms" + (answers() ? " (answering)" : " (not answering yet)");
                }
                case 1 -> {
                    Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(this::answers);
                    when = "as soon as it answered";
                }
                default -> {
                    // in the middle of restarting: the first victim has started again
                    Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(10))
                            .until(() -> victims.stream().anyMatch(v -> {
                                try {
                                    return starts(v) > before.get(v);
                                } catch (Exception e) {
                                    return false;
                                }
                            }));
                    when = "while restarting";
                }
            }
            kill();
            rounds.add("round " + round + ": killed " + victims + ", daemon killed " + when);
        }

        startDaemon();
        Awaitility.await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1))
                .until(this::allRunning);
        String log = String.join("\n", rounds);
        for (int i = 0; i < CONTAINERS; i++) {
            JsonNode st = status(name(i)).orElseThrow();
            List<ProcessHandle> procs = sleepers(i);
            assertEquals(1, procs.size(), name(i) + " runs exactly once\n" + log);
            long pid = procs.get(0).pid();
            assertEquals(pid, st.path("pid").asLong(), name(i) + ": status pid is the running process\n" + log);
            long monitor = ppid(pid);
            String conmon = cmdline(monitor);
            assertTrue(conmon.contains("conmon") && conmon.contains("\0-c\0" + name(i) + "\0"),
                    name(i) + ": parent " + monitor + " is its conmon, not " + conmon.replace('\0', ' ') + "\n" + log);
            assertEquals(1, monitors("\0-c\0" + name(i) + "\0").size(), name(i) + ": one conmon\n" + log);
            assertEquals(starts(i) - 1, st.path("restartCount").asInt(),
                    name(i) + ": restartCount counts every start after the first\n" + log);
        }
        // one runc container per Container, no leftovers
        try (Stream<Path> s = Files.list(tmp.resolve("state/runc/default"))) {
            assertEquals(CONTAINERS, s.count(), "runc containers\n" + log);
        }

        // removing them leaves nothing behind: no task, mount or cgroup
        Files.delete(tmp.resolve("manifests/kills.yaml"));
        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> {
            for (int i = 0; i < CONTAINERS; i++) {
                if (!sleepers(i).isEmpty()) {
                    return false;
                }
            }
            return monitors(tmp.toString()).isEmpty();
        });
        Awaitility.await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(),
                MountTable.under(tmp.resolve("root")).stream().map(m -> m.mountPoint().toString()).toList()));
        Awaitility.await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(), leftCgroups(), log));
        kill();
    }

    /**
     * Container cgroups ({@code <parent>/<namespace>/<id>}) left in any hierarchy; the namespace level
     * stays, as containerd's {@code /default} does.
     */
    private List<String> leftCgroups() throws Exception {
        List<String> left = new ArrayList<>();
        List<Path> hierarchies = new ArrayList<>(List.of(Path.of("/sys/fs/cgroup")));
        try (Stream<Path> s = Files.list(Path.of("/sys/fs/cgroup"))) {
            s.filter(Files::isDirectory).forEach(hierarchies::add);
        }
        for (Path hierarchy : hierarchies) {
            Path p = hierarchy.resolve(parent.substring(1));
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p, 2)) {
                    s.filter(Files::isDirectory).filter(d -> p.relativize(d).getNameCount() == 2)
                            .forEach(d -> left.add(d.toString()));
                }
            }
        }
        return left;
    }
}
