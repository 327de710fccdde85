package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.ControllerSettings;
import dev.berth.controller.api.ApiClient;
import dev.berth.engine.Engine;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.archive.ImageImporter;
import dev.berth.engine.images.archive.ImportOptions;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.testing.OciImageBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command {@link Forwarding#FORWARDED} lists runs through a real daemon process from the
 * executable's entry point ({@link ThinClient}, as bin/berth starts it) with {@code BERTH_THIN=require}:
 * the client fails if it would have run the command itself, and no command may meet "root in use".
 */
class CliForwardingIT {
    @TempDir
    Path tmp;
    Path config;
    Path socket;
    Process daemon;
    final String cgroupParent = "/berth-fwd-" + Long.toHexString(System.nanoTime());

    record Result(int code, String out, String err) {
    }

    /** An Image object: name, labels. */
    private static final String IMAGE = """
            apiVersion: berth.dev/v1alpha1
            kind: Image
            metadata:
              name: %s
              labels: %s
            spec:
              ref: localhost/berth/busybox:latest
              pullPolicy: Never
            """;

    /** One sample command line per forwarded command (qualified name). */
    private Map<String, List<String>> samples(Path manifest) {
        Map<String, List<String>> m = new TreeMap<>();
        m.put("berth version", List.of("version"));
        m.put("berth apply", List.of("apply", "-f", manifest.toString()));
        m.put("berth get", List.of("get", "images"));
        m.put("berth describe", List.of("describe", "image", "fwd"));
        m.put("berth diff", List.of("diff", "-f", manifest.toString()));
        m.put("berth events", List.of("events"));
        m.put("berth logs", List.of("logs", "no-such-container"));
        m.put("berth delete", List.of("delete", "image", "fwd"));
        // nothing listens on port 1: the pull fails in the daemon, with the registry's error
        m.put("berth pull", List.of("pull", "--plain-http", "127.0.0.1:1/none:latest"));
        m.put("berth images ls", List.of("images", "ls"));
        m.put("berth images check", List.of("images", "check"));
        m.put("berth images unpack", List.of("images", "unpack", "localhost/berth/busybox:latest"));
        m.put("berth images rm", List.of("images", "rm", "no-such-image:latest"));
        m.put("berth content ls", List.of("content", "ls"));
        m.put("berth content verify", List.of("content", "verify"));
        m.put("berth content active", List.of("content", "active"));
        m.put("berth content rm", List.of("content", "rm", "sha256:" + "0".repeat(64)));
        m.put("berth snapshots ls", List.of("snapshots", "ls"));
        m.put("berth snapshots usage", List.of("snapshots", "usage"));
        m.put("berth snapshots info", List.of("snapshots", "info", "no-such-key"));
        m.put("berth snapshots mounts", List.of("snapshots", "mounts", "no-such-key"));
        m.put("berth snapshots rm", List.of("snapshots", "rm", "no-such-key"));
        m.put("berth snapshots cleanup", List.of("snapshots", "cleanup"));
        m.put("berth tasks ls", List.of("tasks", "ls", "-q"));
        m.put("berth tasks kill", List.of("tasks", "kill", "no-such-task"));
        m.put("berth tasks pause", List.of("tasks", "pause", "no-such-task"));
        m.put("berth tasks resume", List.of("tasks", "resume", "no-such-task"));
        m.put("berth gc", List.of("gc"));
        m.put("berth leases ls", List.of("leases", "ls"));
        m.put("berth leases rm", List.of("leases", "rm", "no-such-lease"));
        // paths relative to the client's directory (the test's tmp), which is not the daemon's
        m.put("berth push", List.of("push", "--plain-http", "127.0.0.1:1/none:latest", "localhost/berth/busybox:latest"));
        m.put("berth images export", List.of("images", "export", "out.tar", "localhost/berth/busybox:latest"));
        m.put("berth images import", List.of("images", "import", "--name", "localhost/berth/again:latest", "layout"));
        m.put("berth images mount", List.of("images", "mount", "localhost/berth/busybox:latest", "mnt"));
        m.put("berth images unmount", List.of("images", "unmount", "mnt"));
        m.put("berth content get", List.of("content", "get", "sha256:" + "0".repeat(64)));
        m.put("berth tasks exec", List.of("tasks", "exec", "no-such-task", "true"));
        m.put("berth tasks stats", List.of("tasks", "stats", "no-such-task"));
        m.put("berth containers ls", List.of("containers", "ls"));
        m.put("berth containers rm", List.of("containers", "rm", "no-such-container"));
        m.put("berth run", List.of("run", "--rm", "localhost/berth/busybox:latest", "fwd-run", "/bin/busybox", "echo",
                "hi from the daemon"));
        m.put("berth stats", List.of("stats", "--no-stream"));
        m.put("berth rollout status", List.of("rollout", "status", "container", "no-such-container"));
        m.put("berth rollout history", List.of("rollout", "history", "container", "no-such-container"));
        m.put("berth rollout undo", List.of("rollout", "undo", "container", "no-such-container"));
        return m;
    }

    /** Commands whose sample must succeed (the others name missing objects on purpose). */
    private static final List<String> MUST_SUCCEED = List.of("berth version", "berth apply", "berth get",
            "berth describe", "berth diff", "berth events", "berth delete", "berth images ls", "berth images check",
            "berth images unpack", "berth content ls", "berth content verify", "berth content active",
            "berth snapshots ls", "berth snapshots usage", "berth snapshots cleanup", "berth tasks ls", "berth gc",
            "berth leases ls", "berth images export", "berth images import", "berth images mount",
            "berth images unmount", "berth containers ls", "berth run", "berth stats");

    @BeforeEach
    void setUp() throws Exception {
        socket = tmp.resolve("state/berth.sock");
        config = tmp.resolve("config.toml");
        Files.writeString(config, """
                version = 3
                root = "%s"
                state = "%s"
                [plugins."dev.berth.v1"]
                api_address = "%s"
                manifest_dir = "%s"
                log_dir = "%s"
                cgroup_parent = "%s"
                """.formatted(tmp.resolve("root"), tmp.resolve("state"), socket, tmp.resolve("manifests"),
                tmp.resolve("logs"), cgroupParent));
        Files.createDirectories(tmp.resolve("manifests"));
        try (Engine e = Engine.open(new ConfigLoader(ControllerSettings.schema()).load(config))) {
            OciImageBuilder.busybox().build().writeLayout(tmp.resolve("layout"), "latest");
            new ImageImporter(e.content(), e.images(), e.leases()).importFrom(tmp.resolve("layout"),
                    ImportOptions.defaults().withName("localhost/berth/busybox:latest"));
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        daemon = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--config", config.toString(), "daemon")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("daemon.log").toFile()).start();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            try (ApiClient c = ApiClient.connect(socket)) {
                return c.get("/healthz").path("status").asText().equals("ok");
            } catch (BerthException e) {
                return false;
            }
        });
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) {
            daemon.destroy();
            if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        MountTable.cleanUnder(tmp);
        dev.berth.engine.cgroups.Cgroups.host().removeEmpty(cgroupParent);
    }

    private Result berth(Map<String, String> env, List<String> args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                ThinClient.class.getName(), "-c", config.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "berth " + args + " did not end");
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void everyForwardedCommandRunsInTheDaemon() throws Exception {
        Path manifest = tmp.resolve("image.yaml");
        Files.writeString(manifest, IMAGE.formatted("fwd", "{}"));
        Map<String, List<String>> samples = samples(manifest);
        Files.createDirectories(tmp.resolve("mnt"));
        assertEquals(new TreeSet<>(Forwarding.FORWARDED), samples.keySet(),
                "each forwarded command needs a sample here (and a row in docs/cli.md)");
        // apply before describe and delete; the map is ordered by name, so run those in order first
        List<String> order = new ArrayList<>(List.of("berth apply", "berth describe", "berth delete"));
        samples.keySet().stream().filter(k -> !order.contains(k)).forEach(order::add);
        order.remove("berth delete");
        order.add("berth delete");
        for (String name : order) {
            Result r = berth(Map.of("BERTH_THIN", "require"), samples.get(name));
            String what = name + " " + samples.get(name) + " -> " + r.code() + "\n" + r.out() + r.err();
            assertFalse(r.err().contains("in use by process"), what);
            assertFalse(r.err().contains("did not run this command"), what);
            if (MUST_SUCCEED.contains(name)) {
                assertEquals(0, r.code(), what);
            } else {
                assertTrue(r.code() != 0 && r.err().startsWith("berth: "), what);
            }
        }
        assertTrue(Files.size(tmp.resolve("out.tar")) > 0, "export wrote the client's ./out.tar");
        assertTrue(berth(Map.of("BERTH_THIN", "require"), List.of("images", "ls", "-q")).out()
                .contains("localhost/berth/again:latest"));
        Result v = berth(Map.of("BERTH_THIN", "require"), List.of("version"));
        assertTrue(v.out().contains("pid " + daemon.pid()), v.out());
        // a relative -f is the client's directory, not the daemon's
        // (the image is deleted by now: diff plans its creation and, as kubectl diff, exits 1)
        Result rel = berth(Map.of("BERTH_THIN", "require"), List.of("diff", "-f", "image.yaml"));
        assertEquals("", rel.err());
        assertTrue(rel.out().contains("fwd"), rel.out());
    }

    private byte[] berthBytes(List<String> args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                ThinClient.class.getName(), "-c", config.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("BERTH_THIN", "require");
        Path out = Files.createTempFile(tmp, "out", ".bin");
        Process p = pb.redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "berth " + args + " did not end");
        assertEquals(0, p.exitValue(), "berth " + args);
        return Files.readAllBytes(out);
    }

    @Test
    void binaryOutputComesThroughTheDaemonByteForByte() throws Exception {
        Result ls = berth(Map.of("BERTH_THIN", "require"), List.of("content", "ls", "-q"));
        List<String> digests = ls.out().lines().filter(l -> l.startsWith("sha256:")).toList();
        assertFalse(digests.isEmpty(), ls.out() + ls.err());
        for (String d : digests) {
            byte[] blob = berthBytes(List.of("content", "get", d));
            String sum = "sha256:" + java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(blob));
            assertEquals(d, sum, "content get " + d + " through the daemon");
        }
        byte[] tar = berthBytes(List.of("images", "export", "-", "localhost/berth/busybox:latest"));
        List<String> names = new ArrayList<>();
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                new java.io.ByteArrayInputStream(tar))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                names.add(e.getName());
            }
        }
        assertTrue(names.contains("index.json") && names.contains("oci-layout"), names.toString());
    }

    @Test
    void ctrlCOfAnAttachedRunReachesTheContainer() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        // env resets SIGINT to its default: a build started in the background (sh's `&`) ignores it, the
        // ignoring is inherited, and a JVM cannot handle a signal it inherited as ignored
        ProcessBuilder pb = new ProcessBuilder("env", "--default-signal=INT", java, "-cp", System.getProperty("java.class.path"),
                ThinClient.class.getName(), "-c", config.toString(), "run", "--rm", "localhost/berth/busybox:latest",
                // pid 1 of a container ignores signals it has no handler for: this one traps SIGINT
                "fwd-sig", "/bin/busybox", "sh", "-c", "trap 'exit 7' INT; while true; do sleep 1; done")
                .directory(tmp.toFile());
        pb.environment().put("BERTH_THIN", "require");
        Process run = pb.redirectErrorStream(true).redirectOutput(tmp.resolve("run.out").toFile()).start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
                    berth(Map.of(), List.of("tasks", "ls")).out().matches("(?s).*fwd-sig\\s+\\d+\\s+running.*"));
            // the daemon's 't' frame has reached the client by now: its handlers forward the signal
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                new ProcessBuilder("kill", "-INT", Long.toString(run.pid())).start().waitFor();
                return run.waitFor(2, TimeUnit.SECONDS);
            });
            assertEquals(7, run.exitValue(), Files.readString(tmp.resolve("run.out")));
            assertFalse(berth(Map.of(), List.of("tasks", "ls")).out().contains("fwd-sig"), "run --rm removed the task");
        } finally {
            run.destroyForcibly();
            berth(Map.of(), List.of("containers", "rm", "-f", "fwd-sig"));
        }
    }

    @Test
    void withoutTheThinPathStoreCommandsStillGoThroughTheDaemon() throws Exception {
        Result r = berth(Map.of("BERTH_THIN", "0"), List.of("snapshots", "ls"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("KEY"), r.out());
    }

    @Test
    void aCommandTheDaemonDoesNotRunSaysSoUnderRequire() throws Exception {
        Result r = berth(Map.of("BERTH_THIN", "require"), List.of("config", "default"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("did not run this command"), r.err());
    }

    @Test
    void kubectlHabitsThroughTheDaemon() throws Exception {
        Path owned = tmp.resolve("manifests/owned.yaml");
        Files.writeString(owned, IMAGE.formatted("owned", "{tier: dir}"));
        Path mine = tmp.resolve("mine.yaml");
        Files.writeString(mine, IMAGE.formatted("mine", "{tier: cli}"));
        Map<String, String> env = Map.of("BERTH_THIN", "require");
        assertEquals(0, berth(env, List.of("apply", "-f", mine.toString())).code());
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(
                () -> berth(env, List.of("get", "images", "-o", "name")).out().contains("image/owned"));
        assertEquals("image/mine\n", berth(env, List.of("get", "images", "-l", "tier=cli", "-o", "name")).out());
        assertEquals("image/owned\n", berth(env, List.of("get", "images", "-l", "tier!=cli", "-o", "name")).out());
        assertEquals("mine owned\n", berth(env, List.of("get", "images", "-o", "jsonpath={.items[*].metadata.name}")).out());
        Result bad = berth(env, List.of("get", "images", "--field-selector", "spec.ref=x"));
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("status.phase"), bad.err());

        Result plan = berth(env, List.of("diff", "-f", owned.toString()));
        assertTrue(plan.out().contains("[owner: file:" + owned), plan.out());
        assertFalse(plan.out().contains("conflict"), plan.out());

        Result refused = berth(env, List.of("delete", "-f", owned.toString()));
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("managed by file:" + owned), refused.err());
        Result deleted = berth(env, List.of("delete", "-f", mine.toString()));
        assertEquals(0, deleted.code(), deleted.err());
        assertTrue(deleted.out().contains("Image/default/mine deleted"), deleted.out());
        assertEquals(0, berth(env, List.of("delete", "-f", mine.toString(), "--ignore-not-found")).code());
    }
}
