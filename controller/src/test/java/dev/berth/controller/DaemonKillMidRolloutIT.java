package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.controller.cli.Main;
import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.engine.testing.RootOnly;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * SIGKILL the daemon while it rolls a new image digest out to three Containers (each takes a few
 * seconds to become Ready, so the rollout is long enough to be cut), start it again: the rollout
 * resumes from the Image's status and completes, every Container runs the new digest and is Ready,
 * and the node holds exactly one task per Container (none doubled, none lost).
 */
@RootOnly("needs root for runc, overlay mounts and cgroups")
class DaemonKillMidRolloutIT {
    private static final List<String> NAMES = List.of("web-a", "web-b", "web-c");
    @TempDir
    Path tmp;
    Process daemon;
    final String parent = "/berth-killroll-" + UUID.randomUUID().toString().substring(0, 8);

    @AfterEach
    void tearDown() throws Exception {
        HostCleanup.under(tmp).runcRoot("runc", tmp.resolve("state/runc"), true).cgroup(parent).then(() -> {
            if (daemon != null) {
                daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }).close();
    }

    private void startDaemon(Path config, Path socket) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        daemon = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--config", config.toString(), "daemon")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("daemon.log").toFile()))
                .start();
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> {
            try (ApiClient c = ApiClient.connect(socket)) {
                return c.get("/healthz").path("status").asText().equals("ok");
            } catch (BerthException e) {
                return false;
            }
        });
    }

    private static JsonNode get(Path socket, String plural, String name) {
        try (ApiClient c = ApiClient.connect(socket)) {
            return c.get(ObjectsApi.BASE + "/namespaces/default/" + plural + "/" + name);
        } catch (BerthException e) {
            return null;
        }
    }

    private static boolean readyOn(Path socket, String name, String digest) {
        JsonNode o = get(socket, "containers", name);
        if (o == null || !digest.equals(o.path("status").path("imageDigest").asText())) {
            return false;
        }
        for (JsonNode cond : o.path("status").path("conditions")) {
            if (cond.path("type").asText().equals("Ready")) {
                return cond.path("status").asText().equals("True");
            }
        }
        return false;
    }

    private static String rollout(Path socket, String field) {
        JsonNode o = get(socket, "images", "web");
        return o == null ? "" : o.path("status").path("rollout").path(field).asText();
    }

    @Test
    void killedMidRolloutTheDaemonFinishesItWithOneTaskPerContainer() throws Exception {
        String path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        BuiltImage v1 = OciImageBuilder.busybox().env(path, "VERSION=1").build();
        BuiltImage v2 = OciImageBuilder.busybox().env(path, "VERSION=2").build();
        Path socket = tmp.resolve("state/berth.sock");
        Path config = tmp.resolve("config.toml");
        Path manifests = tmp.resolve("manifests");
        Files.createDirectories(manifests);
        try (RegistryProcess registry = RegistryProcess.start()) {
            registry.pushRaw(v1, "berth/web", "live");
            Files.writeString(config, """
                    version = 3
                    root = "%s"
                    state = "%s"
                    [plugins."dev.berth.v1"]
                    api_address = "%s"
                    manifest_dir = "%s"
                    log_dir = "%s"
                    cgroup_parent = "%s"
                    """.formatted(tmp.resolve("root"), tmp.resolve("state"), socket, manifests, tmp.resolve("logs"),
                    parent));
            StringBuilder yaml = new StringBuilder("""
                    apiVersion: berth.dev/v1alpha1
                    kind: Image
                    metadata: {name: web}
                    spec: {ref: "%s/berth/web:live", pullPolicy: Always, updateInterval: 1s}
                    """.formatted(registry.host()));
            for (String n : NAMES) {
                // Ready only 3 s after the start, so a rollout of three takes long enough to be cut
                yaml.append("""
                        ---
                        apiVersion: berth.dev/v1alpha1
                        kind: Container
                        metadata: {name: %s}
                        spec:
                          image: web
                          command: [sh, -c]
                          args: ["trap 'exit 0' TERM; sleep 3; touch /tmp/ready; sleep 1000 & wait"]
                          readinessProbe:
                            exec: {command: [test, -f, /tmp/ready]}
                            periodSeconds: 1
                          progressDeadlineSeconds: 120
                        """.formatted(n));
            }
            Files.writeString(manifests.resolve("web.yaml"), yaml.toString());
            startDaemon(config, socket);
            String d1 = v1.target().digest().toString();
            String d2 = v2.target().digest().toString();
            Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> NAMES.stream().allMatch(n -> readyOn(socket, n, d1)));

            registry.pushRaw(v2, "berth/web", "live");
            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                    .until(() -> "Progressing".equals(rollout(socket, "phase")) && "web-b".equals(rollout(socket, "current")));
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

            startDaemon(config, socket);
            Awaitility.await().atMost(Duration.ofSeconds(180)).until(() -> "Complete".equals(rollout(socket, "phase"))
                    && NAMES.stream().allMatch(n -> readyOn(socket, n, d2)));
            assertEquals("[\"web-a\",\"web-b\",\"web-c\"]", get(socket, "images", "web").path("status").path("rollout")
                    .path("updated").toString());
            daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            daemon = null;

            Config cfg = new ConfigLoader(ControllerSettings.schema()).load(config);
            try (Engine e = Engine.open(cfg)) {
                List<String> live = new ArrayList<>();
                for (TaskStatus t : e.runtime().list("default")) {
                    if (t.state() == TaskState.RUNNING) {
                        live.add(t.id());
                    }
                }
                assertEquals(NAMES, live.stream().sorted().toList(), "one running task per Container");
                assertEquals(3, e.containers().list("default").size(), "one container record per Container");
                for (String n : NAMES) {
                    String image = e.containers().find("default", n).orElseThrow().image();
                    assertEquals(registry.host() + "/berth/web:live", image, n + " runs from the tag's record");
                }
                assertTrue(e.images().find(registry.host() + "/berth/web@" + d1).isPresent(), "v1 stays pinned");
            }
        }
    }
}
