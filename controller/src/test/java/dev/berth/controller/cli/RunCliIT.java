package dev.berth.controller.cli;

import dev.berth.engine.testing.HostCleanup;
import dev.berth.controller.cli.CliHarness.Run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.runtime.BusyboxRootfs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code berth run/tasks/logs/containers} end to end on the in-process engine with real containers. */
class RunCliIT {
    Path dir;
    Path config;
    Path rootfs;
    String parent;
    final List<String> ids = new ArrayList<>();

    Run berth(String... args) {
        return CliHarness.berth(config, args);
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("berth-cli-");
        rootfs = BusyboxRootfs.create(dir.resolve("rootfs"));
        parent = "/berth-cli-it-" + UUID.randomUUID().toString().substring(0, 8);
        config = dir.resolve("config.toml");
        Files.writeString(config, "version = 3\nroot = \"" + dir.resolve("root") + "\"\nstate = \"" + dir.resolve("state")
                + "\"\n[plugins.\"dev.berth.v1\"]\nlog_dir = \"" + dir.resolve("logs") + "\"\ncgroup_parent = \"" + parent + "\"\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        HostCleanup.under(dir).cgroup(parent).then(() -> {
            for (String id : ids) {
                berth("containers", "rm", "-f", id);
            }
        }).close();
    }

    private String id(String name) {
        String id = name + "-" + UUID.randomUUID().toString().substring(0, 6);
        ids.add(id);
        return id;
    }

    @Test
    void foregroundRunStreamsOutputAndExitsWithTheContainersStatus() {
        String id = id("fg");
        Run r = berth("run", "--rm", "--rootfs", rootfs.toString(), "-e", "WHO=berth", id,
                "sh", "-c", "echo hello $WHO; echo problem >&2; exit 5");
        assertEquals(5, r.code(), r.err());
        assertTrue(r.out().contains("hello berth"), r.out());
        assertTrue(r.err().contains("problem"), r.err());
        Run ls = berth("tasks", "ls");
        assertTrue(!ls.out().contains(id), "--rm deleted the task: " + ls.out());
    }

    @Test
    void detachedTaskIsManagedByTheTasksCommands() {
        String id = id("bg");
        Run run = berth("run", "-d", "--rootfs", rootfs.toString(), "--memory-limit", "64m", "--pids-limit", "50",
                id, "sh", "-c", "echo started; exec sleep 1000");
        assertEquals(0, run.code(), run.err());
        assertEquals(id, run.out().trim());

        Run ls = berth("tasks", "ls");
        assertTrue(ls.out().lines().anyMatch(l -> l.contains(id) && l.contains("running")), ls.out());
        Run records = berth("containers", "ls");
        assertTrue(records.out().lines().anyMatch(l -> l.contains(id) && l.endsWith("running")), records.out());
        assertTrue(berth("containers", "ls", "-q").out().lines().anyMatch(id::equals));

        Run exec = berth("tasks", "exec", id, "sh", "-c", "echo inside; exit 3");
        assertEquals(3, exec.code());
        assertEquals("inside\n", exec.out());

        Run stats = berth("tasks", "stats", id);
        assertTrue(stats.out().contains("memory.limit  67108864") && stats.out().contains("pids.limit    50"), stats.out());

        assertEquals(0, berth("tasks", "pause", id).code());
        assertTrue(berth("tasks", "ls").out().lines().anyMatch(l -> l.contains(id) && l.contains("paused")));
        assertEquals(0, berth("tasks", "resume", id).code());

        Run rmLive = berth("containers", "rm", id);
        assertEquals(1, rmLive.code());
        assertTrue(rmLive.err().contains("stop it first"), rmLive.err());

        assertEquals(0, berth("tasks", "kill", "-s", "KILL", id).code());
        await(() -> berth("tasks", "ls").out().lines().anyMatch(l -> l.contains(id) && l.contains("137")));
        Run logs = berth("logs", "--tail", "1", id);
        assertEquals("started\n", logs.out());
        assertEquals(0, berth("logs", "-f", id).code(), "follow returns once the task has stopped");

        assertEquals(0, berth("containers", "rm", id).code());
        assertTrue(!berth("tasks", "ls").out().contains(id));
        assertTrue(!berth("containers", "ls", "-q").out().contains(id), "the record is gone with rm");
    }

    @Test
    void badInvocationsFailWithUsefulMessages() {
        Run image = berth("run", "--rm", "docker.io/library/nosuch:latest", id("img"), "true");
        assertEquals(1, image.code());
        assertTrue(image.err().contains("nosuch"), image.err());
        Run both = berth("run", "--rm", "-d", "--rootfs", rootfs.toString(), id("x"), "true");
        assertEquals(1, both.code());
        assertTrue(both.err().contains("--rm and --detach"), both.err());
        Run missing = berth("tasks", "kill", "no-such-task");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("does not exist"), missing.err());
    }

    @Test
    void systemdDriverWithoutSystemdIsAClearStartupError() throws Exception {
        Assumptions.assumeFalse(Files.readString(Path.of("/proc/1/comm")).trim().equals("systemd"));
        Files.writeString(config, Files.readString(config).replace("version = 3\n", "version = 3\n")
                + "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.runc.options]\nSystemdCgroup = true\n");
        Run r = berth("tasks", "ls");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("SystemdCgroup = false") && r.err().contains(config.toString()), r.err());
    }

    private static void await(java.util.function.BooleanSupplier c) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached in 30s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void imageRunMountsTheSnapshotAndRemovesItAgain() throws Exception {
        String name = "example.test/busybox:it";
        GlobalOptions options = new GlobalOptions();
        options.config = config;
        try (dev.berth.engine.Engine e = dev.berth.engine.Engine.open(options.load())) {
            var img = dev.berth.engine.testing.OciImageBuilder.busybox().cmd("sh", "-c", "echo from-image; id -un").build();
            img.writeTo(e.content());
            java.time.Instant now = java.time.Instant.now();
            e.images().put(new dev.berth.engine.images.Image(name, img.target(), java.util.Map.of(), now, now));
        }
        String id = id("img");
        Path target = dir.resolve("state/tasks/default/" + id + "/rootfs");
        try {
            Run fg = berth("run", "--rm", name, id);
            assertEquals(0, fg.code(), fg.err());
            assertTrue(fg.out().contains("from-image") && fg.out().contains("root"), fg.out());
            assertTrue(!Files.exists(target), "--rm unmounted and removed the rootfs");

            Run bg = berth("run", "-d", name, id, "sleep", "1000");
            assertEquals(0, bg.code(), bg.err());
            assertTrue(dev.berth.engine.mount.MountTable.isMountPoint(target));
            assertEquals(1, berth("run", "-d", name, id, "true").code(), "a second run of the same id is refused");
            assertEquals(0, berth("containers", "rm", "-f", id).code());
            assertTrue(!dev.berth.engine.mount.MountTable.isMountPoint(target) && !Files.exists(target));
        } finally {
            dev.berth.engine.mount.Unmount.unmountAll(target);
        }
    }
}
