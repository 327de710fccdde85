package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.DaemonProcess;
import dev.berth.controller.api.ObjectsApi;
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
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code berth rollout status|history|undo container NAME} from the executable's entry point
 * ({@link ThinClient}, as bin/berth starts it, with {@code BERTH_THIN=require}: each command runs in
 * a real daemon process) while a real registry's tag moves: status waits for the rollout to the new
 * digest and exits 0, history lists Created then RolledOut, undo sends the Container back to the
 * pinned previous digest, and status then waits for that and exits 0 (an undo is no failure).
 */
@RootOnly("needs root for runc, overlay mounts and cgroups")
class RolloutCliIT {
    @TempDir
    Path tmp;
    Path config;
    DaemonProcess daemon;
    final String parent = "/berth-rollcli-" + UUID.randomUUID().toString().substring(0, 8);

    record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        HostCleanup.under(tmp).runcRoot("runc", tmp.resolve("state/runc"), true).cgroup(parent).then(() -> {
            if (daemon != null) {
                daemon.stop();
            }
        }).close();
    }

    private Result berth(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                ThinClient.class.getName(), "-c", config.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("BERTH_THIN", "require");
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("berth " + List.of(args) + " did not end: " + Files.readString(out));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static JsonNode readyCondition(JsonNode status) {
        for (JsonNode cond : status.path("conditions")) {
            if (cond.path("type").asText().equals("Ready")) {
                return cond;
            }
        }
        throw new AssertionError("no Ready condition in " + status);
    }

    private JsonNode get(String plural, String name) {
        return daemon.get(ObjectsApi.BASE + "/namespaces/default/" + plural + "/" + name);
    }

    @Test
    void statusFollowsARolloutHistoryListsItAndUndoGoesBack() throws Exception {
        String path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        BuiltImage v1 = OciImageBuilder.busybox().env(path, "VERSION=1").build();
        BuiltImage v2 = OciImageBuilder.busybox().env(path, "VERSION=2").build();
        String d1 = v1.target().digest().toString();
        String d2 = v2.target().digest().toString();
        try (RegistryProcess registry = RegistryProcess.start()) {
            registry.pushRaw(v1, "berth/web", "live");
            daemon = DaemonProcess.create(tmp, parent, "");
            config = daemon.configFile();
            Files.writeString(daemon.manifests().resolve("web.yaml"), """
                    apiVersion: berth.dev/v1alpha1
                    kind: Image
                    metadata: {name: web}
                    spec: {ref: "%s/berth/web:live", pullPolicy: Always, updateInterval: 1s}
                    ---
                    apiVersion: berth.dev/v1alpha1
                    kind: Container
                    metadata: {name: web-a}
                    spec:
                      image: web
                      command: [sh, -c]
                      args: ["echo version=$VERSION; trap 'exit 0' TERM; sleep 1; touch /tmp/ready; sleep 1000 & wait"]
                      readinessProbe:
                        exec: {command: [test, -f, /tmp/ready]}
                        periodSeconds: 1
                      progressDeadlineSeconds: 240
                    """.formatted(registry.host()));
            daemon.start();

            // the first start: status waits until web-a runs v1 and is Ready
            Result first = berth("rollout", "status", "container", "web-a", "--timeout", "4m");
            assertEquals(0, first.code(), first.all());
            assertTrue(first.out().strip().endsWith("Container web-a runs " + d1 + " and is Ready"), first.all());
            String readyBefore = readyCondition(get("containers", "web-a").path("status")).path("lastTransitionTime")
                    .asText();

            registry.pushRaw(v2, "berth/web", "live");
            Awaitility.await().atMost(Duration.ofSeconds(120))
                    .until(() -> d2.equals(get("images", "web").path("status").path("rollout").path("to").asText()));
            Result rolled = berth("rollout", "status", "container", "web-a");
            assertEquals(0, rolled.code(), rolled.all());
            assertTrue(rolled.out().strip().endsWith("Container web-a runs " + d2 + " and is Ready (rolled out from "
                    + d1 + ")"), rolled.all());

            // no gap (docs/rollouts.md): the rollout was a surge, so web-a's Ready condition never left True: its
            // last transition is still the first start's (times have whole seconds, but a gap would take the new
            // task's sleep of a second before it is Ready again, so it would always move the time), and its task
            // is the new revision's
            JsonNode st = get("containers", "web-a").path("status");
            JsonNode ready = readyCondition(st);
            assertEquals("True", ready.path("status").asText(), st.toString());
            assertEquals(readyBefore, ready.path("lastTransitionTime").asText(), "Ready throughout the rollout: " + st);
            assertEquals(RuntimeIds.surgeId("web-a", d2), st.path("containerID").asText(), st.toString());
            // berth logs NAME reads the current revision's log
            Result logs = berth("logs", "web-a");
            assertEquals(0, logs.code(), logs.all());
            assertEquals("version=2", logs.out().strip(), logs.all());

            Result history = berth("rollout", "history", "container", "web-a");
            assertEquals(0, history.code(), history.all());
            List<String> rows = history.out().lines().toList();
            assertTrue(rows.get(0).startsWith("REVISION"), history.out());
            assertTrue(rows.get(1).contains(d1) && rows.get(1).contains("Created") && rows.get(1).contains("Ready"),
                    history.out());
            assertTrue(rows.get(2).contains(d2) && rows.get(2).contains("RolledOut") && rows.get(2).contains("Ready"),
                    history.out());

            Result undo = berth("rollout", "undo", "container", "web-a");
            assertEquals(0, undo.code(), undo.all());
            assertTrue(undo.out().contains("back to " + d1), undo.all());
            Result back = berth("rollout", "status", "container", "web-a");
            assertEquals(0, back.code(), back.all());
            assertTrue(back.out().strip().endsWith("Container web-a runs " + d1 + " again"), back.all());
            assertEquals(d1, get("containers", "web-a").path("status").path("imageDigest").asText());
            Result after = berth("rollout", "history", "container", "web-a");
            String last = after.out().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.contains(d1) && last.contains("RolledBack"), after.out());

            // nothing left to undo; only Containers roll; a missing Container is named
            Result again = berth("rollout", "undo", "container", "web-a");
            assertTrue(again.code() == 1 && again.err().contains("already rolled back to " + d1), again.all());
            Result kind = berth("rollout", "status", "image", "web");
            assertTrue(kind.code() == 1 && kind.err().contains("only Containers roll"), kind.all());
            Result missing = berth("rollout", "history", "container", "nope");
            assertTrue(missing.code() == 1 && missing.err().contains("Container \"nope\" not found"), missing.all());
        }
    }
}
