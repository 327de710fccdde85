package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ObjectsApi;
import dev.berth.engine.Engine;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.engine.testing.RootOnly;
import dev.berth.reconcilers.container.RuntimeIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * SIGKILL the daemon while it rolls a new image digest out to three Containers, at the moment the
 * second one surges (its new task {@code web-b_<digest>} runs next to the old one and takes a few
 * seconds to become Ready), start it again: the daemon adopts both tasks, the surge resumes from the
 * container records and the rollout from the Image's status, and it completes: every Container runs
 * the new digest and is Ready, and the node holds exactly one task per Container (none doubled, none
 * lost), one container record, one bundle, one rootfs snapshot and one cgroup each, all of the new
 * revision: nothing of the old tasks leaked.
 */
@RootOnly("needs root for runc, overlay mounts and cgroups")
class DaemonKillMidRolloutIT {
    private static final List<String> NAMES = List.of("web-a", "web-b", "web-c");
    @TempDir
    Path tmp;
    DaemonProcess daemon;
    final String parent = "/berth-killroll-" + UUID.randomUUID().toString().substring(0, 8);

    @AfterEach
    void tearDown() throws Exception {
        HostCleanup.under(tmp).runcRoot("runc", tmp.resolve("state/runc"), true).cgroup(parent).then(() -> {
            if (daemon != null) {
                daemon.kill();
            }
        }).close();
    }

    private JsonNode get(String plural, String name) {
        return daemon.get(ObjectsApi.BASE + "/namespaces/default/" + plural + "/" + name);
    }

    private boolean readyOn(String name, String digest) {
        JsonNode o = get("containers", name);
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

    private String rollout(String field) {
        JsonNode o = get("images", "web");
        return o == null ? "" : o.path("status").path("rollout").path(field).asText();
    }

    @Test
    void killedMidRolloutTheDaemonFinishesItWithOneTaskPerContainer() throws Exception {
        String path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        BuiltImage v1 = OciImageBuilder.busybox().env(path, "VERSION=1").build();
        BuiltImage v2 = OciImageBuilder.busybox().env(path, "VERSION=2").build();
        try (RegistryProcess registry = RegistryProcess.start()) {
            registry.pushRaw(v1, "berth/web", "live");
            daemon = DaemonProcess.create(tmp, parent, "");
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
            Files.writeString(daemon.manifests().resolve("web.yaml"), yaml.toString());
            daemon.start();
            String d1 = v1.target().digest().toString();
            String d2 = v2.target().digest().toString();
            Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> NAMES.stream().allMatch(n -> readyOn(n, d1)));

            registry.pushRaw(v2, "berth/web", "live");
            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                    .until(() -> "Progressing".equals(rollout("phase")) && "web-b".equals(rollout("current"))
                            && !get("containers", "web-b").path("status").path("surge").path("containerID").asText().isEmpty());
            String surge = get("containers", "web-b").path("status").path("surge").path("containerID").asText();
            assertEquals(RuntimeIds.surgeId("web-b", d2), surge);
            daemon.kill();
            try (Engine e = daemon.openEngine()) {
                assertTrue(e.runtime().find("default", "web-b").orElseThrow().state() == TaskState.RUNNING);
                assertTrue(e.runtime().find("default", surge).isPresent(), "killed with the surge's task made");
            }

            daemon.start();
            Awaitility.await().atMost(Duration.ofSeconds(180)).until(() -> "Complete".equals(rollout("phase"))
                    && NAMES.stream().allMatch(n -> readyOn(n, d2)));
            assertEquals("[\"web-a\",\"web-b\",\"web-c\"]", get("images", "web").path("status").path("rollout")
                    .path("updated").toString());
            daemon.kill();

            try (Engine e = daemon.openEngine()) {
                List<String> live = new ArrayList<>();
                for (TaskStatus t : e.runtime().list("default")) {
                    if (t.state() == TaskState.RUNNING) {
                        live.add(t.id());
                    }
                }
                List<String> ids = NAMES.stream().map(n -> RuntimeIds.surgeId(n, d2)).toList();
                assertEquals(ids, live.stream().sorted().toList(), "one running task per Container");
                assertEquals(ids, e.runtime().list("default").stream().map(TaskStatus::id).sorted().toList(),
                        "no other task");
                assertEquals(ids, e.containers().list("default").stream().map(c -> c.id()).toList(),
                        "one container record per Container");
                for (String id : ids) {
                    String image = e.containers().find("default", id).orElseThrow().image();
                    assertEquals(registry.host() + "/berth/web:live", image, id + " runs from the tag's record");
                }
                try (var dirs = Files.list(tmp.resolve("state/tasks/default"))) {
                    assertEquals(ids, dirs.map(d -> d.getFileName().toString()).sorted().toList(), "bundles");
                }
                List<String> snaps = new ArrayList<>();
                e.snapshotter().walk(i -> {
                    if (i.name().startsWith("container/")) {
                        snaps.add(i.name());
                    }
                });
                assertEquals(ids.stream().map(id -> "container/default/" + id).toList(), snaps.stream().sorted().toList(),
                        "rootfs snapshots");
                for (Path h : Files.newDirectoryStream(Path.of("/sys/fs/cgroup"))) {
                    Path ns = h.resolve(parent.substring(1)).resolve("default");
                    if (Files.isDirectory(ns)) {
                        try (var dirs = Files.list(ns)) {
                            List<String> cg = dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString())
                                    .filter(n -> n.startsWith("web-")).sorted().toList();
                            assertEquals(ids, cg, "cgroups under " + ns);
                        }
                    }
                }
                assertTrue(e.images().find(registry.host() + "/berth/web@" + d1).isPresent(), "v1 stays pinned");
            }
        }
    }
}
