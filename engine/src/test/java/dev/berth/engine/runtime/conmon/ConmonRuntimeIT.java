package dev.berth.engine.runtime.conmon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.cgroups.CgroupStats;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.ExecRequest;
import dev.berth.engine.runtime.ExecResult;
import dev.berth.engine.runtime.Signals;
import dev.berth.engine.runtime.TaskExit;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.logs.CriLog;
import dev.berth.engine.runtime.spec.ContainerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real containers from a busybox rootfs under conmon + runc. */
class ConmonRuntimeIT {
    private static final String NS = "default";
    private static final Duration WAIT = Duration.ofSeconds(30);
    static RuntimeFixture fx;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new RuntimeFixture("runc");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    private static ContainerSpec sh(String script) {
        return ContainerSpec.builder().args("sh", "-c", script).build();
    }

    private static String log(String id) {
        return CriLog.read(fx.runtime.logPath(NS, id)).stream().map(e -> e.stream() + ":" + e.text())
                .collect(Collectors.joining("\n"));
    }

    @Test
    void exitCodeAndBothStreamsReachTheLog() {
        String id = fx.id("exit");
        List<TaskExit> events = new CopyOnWriteArrayList<>();
        try (AutoCloseable sub = fx.runtime.onExit(events::add)) {
            TaskStatus created = fx.runtime.create(NS, id, fx.spec(id, sh("echo to-out; echo to-err >&2; exit 3")));
            assertEquals(TaskState.CREATED, created.state());
            assertTrue(created.pid() > 0);
            fx.runtime.start(NS, id);
            TaskStatus done = fx.runtime.waitForExit(NS, id, WAIT);
            assertEquals(TaskState.STOPPED, done.state());
            assertEquals(3, done.exitCode());
            assertFalse(done.oomKilled());
            assertNotNull(done.exitedAt());
            await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.id().equals(id) && e.exitCode() == 3));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        String log = log(id);
        assertTrue(log.contains("stdout:to-out"), log);
        assertTrue(log.contains("stderr:to-err"), log);
        // the CRI line format itself
        String raw = readString(fx.runtime.logPath(NS, id));
        assertTrue(raw.lines().allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ (stdout|stderr) [PF] .*")), raw);
        // a stopped task cannot be killed and must be deleted before its id is reused
        BerthException kill = assertThrows(BerthException.class, () -> fx.runtime.kill(NS, id, Signals.SIGTERM, false));
        assertEquals(ErrorCategory.NOT_FOUND, kill.category());
        BerthException dup = assertThrows(BerthException.class, () -> fx.runtime.create(NS, id, fx.spec(id, sh("true"))));
        assertEquals(ErrorCategory.ALREADY_EXISTS, dup.category());
        fx.runtime.delete(NS, id, false);
        assertTrue(fx.runtime.find(NS, id).isEmpty());
        assertFalse(Files.exists(fx.dir.resolve("state/tasks/default/" + id)));
        assertTrue(Files.exists(fx.runtime.logPath(NS, id)), "logs outlive the task");
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void stopEscalatesToSigkillWhenTheInitIgnoresSigterm() {
        String id = fx.id("stop");
        // sleep as PID 1 has no SIGTERM handler, so the kernel drops SIGTERM: only SIGKILL ends it
        fx.run(id, ContainerSpec.builder().args("sleep", "1000").build());
        TaskStatus done = fx.runtime.stop(NS, id, Duration.ofMillis(500));
        assertEquals(137, done.exitCode());
        fx.runtime.delete(NS, id, false);
    }

    @Test
    void sigtermDeathIs143() {
        String id = fx.id("term");
        // outside a pid namespace the init is not PID 1, so SIGTERM's default action kills it
        fx.run(id, ContainerSpec.builder().args("sleep", "1000").hostNamespace("pid").build());
        fx.runtime.kill(NS, id, Signals.SIGTERM, false);
        assertEquals(143, fx.runtime.waitForExit(NS, id, WAIT).exitCode());
        fx.runtime.delete(NS, id, false);
    }

    @Test
    void memoryHogIsOomKilledAndReported() {
        String id = fx.id("oom");
        ContainerSpec spec = ContainerSpec.builder().args("dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=4")
                .resources(Resources.NONE.withMemoryLimit(16L << 20)).build();
        fx.run(id, spec);
        TaskStatus done = fx.runtime.waitForExit(NS, id, WAIT);
        assertEquals(137, done.exitCode());
        assertTrue(done.oomKilled(), done.toString());
        fx.runtime.delete(NS, id, false);
    }

    @Test
    void forkLoopStopsAtThePidsLimit() {
        String id = fx.id("pids");
        ContainerSpec spec = ContainerSpec.builder()
                .args("sh", "-c", "(i=0; while [ $i -lt 60 ]; do sleep 1000 & i=$((i+1)); done); "
                        + "echo spawned; exec sleep 1000")
                .resources(Resources.NONE.withPidsLimit(20L)).build();
        fx.run(id, spec);
        // ash gives up the subshell at the first failed fork; the init shell goes on
        await().atMost(WAIT).until(() -> log(id).contains("spawned"));
        CgroupStats stats = fx.runtime.stats(NS, id);
        assertTrue(stats.pidsCurrent() <= 20, stats.toString());
        assertEquals(20L, stats.pidsLimit());
        assertEquals(20L, fx.runtime.limits(NS, id).pidsLimit());
        assertTrue(log(id).contains("fork"), log(id));
        fx.runtime.stop(NS, id, Duration.ofMillis(200));
        fx.runtime.delete(NS, id, false);
    }

    @Test
    void envUserCwdAndHostnameAreWhatTheSpecSays() {
        String id = fx.id("ident");
        ContainerSpec spec = ContainerSpec.builder()
                .args("sh", "-c", "echo FOO=$FOO; id; pwd; hostname; cat /proc/self/status | grep -i nonewprivs")
                .env("FOO", "bar baz").user("app").workingDir("/tmp").hostname("berth-host").build();
        fx.run(id, spec);
        assertEquals(0, fx.runtime.waitForExit(NS, id, WAIT).exitCode());
        String log = log(id);
        assertTrue(log.contains("stdout:FOO=bar baz"), log);
        assertTrue(log.contains("uid=1000") && log.contains("gid=1000"), log);
        assertTrue(log.contains("10") && log.contains("29"), "supplementary groups wheel and audio: " + log);
        assertTrue(log.contains("stdout:/tmp"), log);
        assertTrue(log.contains("stdout:berth-host"), log);
        assertTrue(log.matches("(?s).*NoNewPrivs:\\s*1.*"), log);
        fx.runtime.delete(NS, id, false);
    }

    @Test
    void execPauseResumeAndLiveUpdate() {
        String id = fx.id("exec");
        fx.run(id, ContainerSpec.builder().args("sleep", "1000").env("GREETING", "hello")
                .resources(Resources.NONE.withMemoryLimit(64L << 20)).build());
        ExecResult r = fx.runtime.exec(NS, id, ExecRequest.of("sh", "-c", "echo $GREETING; echo oops >&2; exit 7"));
        assertEquals(7, r.exitCode());
        assertEquals("hello\n", r.stdout());
        assertEquals("oops\n", r.stderr());

        fx.runtime.pause(NS, id);
        assertEquals(TaskState.PAUSED, fx.runtime.state(NS, id).state());
        BerthException e = assertThrows(BerthException.class, () -> fx.runtime.exec(NS, id, ExecRequest.of("true")));
        assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
        fx.runtime.resume(NS, id);
        assertEquals(TaskState.RUNNING, fx.runtime.state(NS, id).state());

        assertEquals(64L << 20, fx.runtime.limits(NS, id).memoryLimit());
        fx.runtime.update(NS, id, Resources.NONE.withMemoryLimit(32L << 20).withCpuShares(512L));
        Resources now = fx.runtime.limits(NS, id);
        assertEquals(32L << 20, now.memoryLimit());
        assertEquals(512L, now.cpuShares());

        BerthException live = assertThrows(BerthException.class, () -> fx.runtime.delete(NS, id, false));
        assertEquals(ErrorCategory.FAILED_PRECONDITION, live.category());
        fx.runtime.delete(NS, id, true);
        assertTrue(fx.runtime.find(NS, id).isEmpty());
    }

    @Test
    void missingExecutableFailsCreateWithTheRuntimesMessage() {
        String id = fx.id("noexec");
        BerthException e = assertThrows(BerthException.class,
                () -> fx.runtime.create(NS, id, fx.spec(id, ContainerSpec.builder().args("/no/such/binary").build())));
        assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
        assertTrue(e.getMessage().contains("/no/such/binary"), e.getMessage());
        assertTrue(fx.runtime.find(NS, id).isEmpty(), "a failed create leaves no record");
        assertFalse(Files.exists(fx.dir.resolve("state/tasks/default/" + id + "/config.json")));
    }

    @Test
    void logIsCappedAtTheConfiguredSize() throws Exception {
        String id = fx.id("biglog");
        fx.run(id, sh("yes 0123456789abcdef | head -n 200000; echo last-line"));
        assertEquals(0, fx.runtime.waitForExit(NS, id, WAIT).exitCode());
        long size = Files.size(fx.runtime.logPath(NS, id));
        assertTrue(size <= 1024 * 1024 + 4096, "log is " + size + " bytes");
        List<CriLog.Entry> tail = CriLog.tail(fx.runtime.logPath(NS, id), 1);
        assertEquals("last-line", tail.get(0).text());
        fx.runtime.delete(NS, id, false);
    }

    @Test
    void rootfsInsideTheBundleIsUsedAndLeftToItsOwner() throws Exception {
        // how an image-based task looks: the snapshot is mounted at <bundle>/rootfs before create
        String id = fx.id("inbundle");
        Path bundleRootfs = dev.berth.engine.runtime.BusyboxRootfs.create(
                fx.dir.resolve("state/tasks/default/" + id + "/rootfs"));
        var spec = dev.berth.engine.runtime.spec.SpecGenerator.generate(id, sh("echo from-bundle"), null,
                bundleRootfs, fx.runtime.cgroupPaths().specPath(NS, id));
        var relative = new dev.berth.engine.runtime.spec.RuntimeSpec(spec.ociVersion(), spec.process(),
                new dev.berth.engine.runtime.spec.RuntimeSpec.Root("rootfs", null), spec.hostname(), spec.mounts(),
                spec.linux(), spec.annotations());
        fx.runtime.create(NS, id, relative);
        fx.runtime.start(NS, id);
        assertEquals(0, fx.runtime.waitForExit(NS, id, WAIT).exitCode());
        assertTrue(log(id).contains("stdout:from-bundle"), log(id));
        fx.runtime.delete(NS, id, false);
        assertTrue(Files.exists(bundleRootfs.resolve("bin/busybox")), "the rootfs belongs to whoever mounted it");
        assertFalse(Files.exists(bundleRootfs.getParent().resolve("config.json")));
    }

    @Test
    void stopSendsTheImagesStopSignalAndWaitsForAGracefulExit() {
        String id = fx.id("stopsig");
        var image = new dev.berth.engine.oci.ImageConfig(null, null, "amd64", "linux", null,
                new dev.berth.engine.oci.ImageConfig.Container(null, null, null, null,
                        List.of("sh", "-c", "trap 'echo graceful; exit 7' USR1; echo ready; while true; do sleep 0.1; done"),
                        null, null, null, "SIGUSR1"), null, null);
        var spec = dev.berth.engine.runtime.spec.SpecGenerator.generate(id, ContainerSpec.builder().build(), image,
                fx.rootfs, fx.runtime.cgroupPaths().specPath(NS, id));
        fx.runtime.create(NS, id, spec);
        fx.runtime.start(NS, id);
        await().atMost(WAIT).until(() -> log(id).contains("ready"));
        TaskStatus done = fx.runtime.stop(NS, id, Duration.ofSeconds(20));
        assertEquals(7, done.exitCode(), "the trap ran: SIGUSR1 was sent, not SIGTERM or SIGKILL");
        assertTrue(log(id).contains("stdout:graceful"), log(id));
        assertEquals(TaskState.STOPPED, fx.runtime.stop(NS, id, Duration.ofSeconds(1)).state(), "stop is idempotent");
        fx.runtime.delete(NS, id, false);
    }
}
