package dev.berth.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.logs.CriLog;
import dev.berth.engine.runtime.spec.ContainerSpec;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import dev.berth.engine.runtime.spec.SpecGenerator;
import dev.berth.engine.testing.RootOnly;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;

/**
 * The {@link TaskRuntime} contract, run by every runtime and cgroup driver against real containers
 * (busybox rootfs, real OCI runtime, real cgroups): create/start, exec, kill and the exit codes it
 * gives, delete (task, bundle and cgroup gone), adoption by a runtime opened again over the same
 * state (a daemon restart), the limits in force in the kernel's files and changed in place, the CRI
 * log, and the OOM killer reported. Implementations say how to open the runtime ({@link #open}) and
 * may check their driver's own view of a cgroup ({@link #assertDriverView}); the cgroupfs driver runs
 * it on the host, the systemd driver inside PackageOnSystemdIT's booted machine. Needs root.
 */
@RootOnly("runs real containers")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class TaskRuntimeContract {
    protected static final String NS = "contract";
    protected static final Duration WAIT = Duration.ofSeconds(60);
    /** Removes what one opened runtime left: tasks, runtime state, monitors, cgroups, directories. */
    public interface Opened extends AutoCloseable {
        TaskRuntime runtime();

        /** Closes the runtime as a daemon shutdown does: tasks and their monitors keep running. */
        void shutDown();

        /** Opens the runtime again over the same state (closing it first if it is open), as a restarted daemon does. */
        TaskRuntime reopen();

        /** The rootfs directory the specs point at. */
        Path rootfs();

        @Override
        void close() throws Exception;
    }

    private Opened opened;
    protected final String suffix = UUID.randomUUID().toString().substring(0, 8);

    /** Opens the runtime under test with private state and a private cgroup parent. */
    protected abstract Opened open() throws Exception;

    /**
     * Checks the cgroup driver's own view of the task's cgroup beyond the kernel's files (the systemd
     * driver: the scope unit and its properties); {@code limits} is null once the task is deleted.
     */
    protected void assertDriverView(String id, Resources limits) throws Exception {
    }

    @BeforeAll
    void setUpRuntime() throws Exception {
        opened = open();
    }

    @AfterAll
    void tearDownRuntime() throws Exception {
        if (opened != null) {
            opened.close();
        }
    }

    protected TaskRuntime rt() {
        return opened.runtime();
    }

    protected String id(String name) {
        return name + "-" + suffix;
    }

    private TaskStatus run(String id, ContainerSpec spec) {
        rt().create(NS, id, SpecGenerator.generate(id, spec, null, opened.rootfs(), rt().cgroupPaths().specPath(NS, id)));
        rt().start(NS, id);
        return rt().state(NS, id);
    }

    private static ContainerSpec sh(String script) {
        return ContainerSpec.builder().args("sh", "-c", script).build();
    }

    private String cgroup(String id) {
        return rt().cgroupPaths().relativePath(NS, id);
    }

    private String log(String id) {
        return CriLog.read(rt().logPath(NS, id)).stream().map(e -> e.stream() + ":" + e.text())
                .collect(Collectors.joining("\n"));
    }

    private static void assertCategory(ErrorCategory expected, Executable call) {
        BerthException e = assertThrows(BerthException.class, call);
        assertEquals(expected, e.category(), e.getMessage());
    }

    @Test
    void createStartsNothingUntilStartThenDeleteRemovesTaskBundleAndCgroup() throws Exception {
        String id = id("life");
        TaskStatus created = rt().create(NS, id, SpecGenerator.generate(id, sh("echo started; exec sleep 1000"), null,
                opened.rootfs(), rt().cgroupPaths().specPath(NS, id)));
        assertEquals(TaskState.CREATED, created.state());
        assertTrue(created.pid() > 0, created.toString());
        assertEquals(cgroup(id), created.cgroupPath());
        assertTrue(Cgroups.host().exists(cgroup(id)), "create makes the cgroup: " + cgroup(id));
        assertFalse(log(id).contains("started"), "the user's program waits for start");
        assertCategory(ErrorCategory.ALREADY_EXISTS, () -> rt().create(NS, id, SpecGenerator.generate(id, sh("true"),
                null, opened.rootfs(), rt().cgroupPaths().specPath(NS, id))));

        rt().start(NS, id);
        assertEquals(TaskState.RUNNING, rt().state(NS, id).state());
        assertEquals(created.pid(), rt().state(NS, id).pid());
        assertTrue(rt().list(NS).stream().anyMatch(t -> t.id().equals(id)));
        assertCategory(ErrorCategory.FAILED_PRECONDITION, () -> rt().delete(NS, id, false));

        rt().delete(NS, id, true);
        assertTrue(rt().find(NS, id).isEmpty());
        assertCategory(ErrorCategory.NOT_FOUND, () -> rt().state(NS, id));
        assertFalse(Files.exists(rt().bundle(NS, id)), "the bundle goes with the task");
        assertFalse(Cgroups.host().exists(cgroup(id)), "the cgroup goes with the task: " + cgroup(id));
        assertDriverView(id, null);
        assertTrue(Files.exists(rt().logPath(NS, id)), "the log stays");
    }

    /** The terminal's output so far: the log's pieces joined as the pty gave them. */
    private static String screen(Path log) {
        return CriLog.readPieces(log).stream().map(p -> p.partial() ? p.text() : p.text() + "\n")
                .collect(Collectors.joining());
    }

    private static void awaitScreen(Path log, String text) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!screen(log).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "no \"" + text + "\" on the terminal:\n" + screen(log));
            Thread.sleep(20);
        }
    }

    @Test
    void aTerminalTaskAndATerminalExecGetPtysThatTakeKeystrokesAndResizes() throws Exception {
        String id = id("tty");
        // the size is looked at only after a line was typed, and once the resize is through
        String script = "read line; while [ \"$(busybox stty size)\" = \"0 0\" ]; do sleep 0.1; done; "
                + "echo got $line size $(busybox stty size) on $(busybox tty); exit 4";
        RuntimeSpec g = SpecGenerator.generate(id, sh(script), null, opened.rootfs(), rt().cgroupPaths().specPath(NS, id));
        RuntimeSpec spec = new RuntimeSpec(g.ociVersion(), g.process().withTerminal(true), g.root(), g.hostname(),
                g.mounts(), g.linux(), g.annotations());
        assertCategory(ErrorCategory.INVALID_ARGUMENT, () -> rt().create(NS, id, spec, TaskRuntime.Stdin.PIPE));
        rt().create(NS, id, spec, TaskRuntime.Stdin.TERMINAL);
        // conmon holds the console from the create on, so a resize before the start is kept
        rt().resizePty(NS, id, 100, 30);
        TaskInput in = rt().openStdin(NS, id);
        rt().start(NS, id);
        in.write("hello\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), 6);
        assertEquals(4, rt().waitForExit(NS, id, WAIT).exitCode());
        awaitScreen(rt().logPath(NS, id), "got hello size 30 100 on /dev/pts/");
        rt().resizePty(NS, id, 80, 24); // after the exit: nothing to do, and no error
        in.close();
        rt().delete(NS, id, false);

        String host = id("ttyhost");
        run(host, ContainerSpec.builder().args("sleep", "1000").build());
        assertCategory(ErrorCategory.FAILED_PRECONDITION, () -> rt().resizePty(NS, host, 80, 24));
        TerminalProcess p = rt().execOnTerminal(NS, host, new ExecRequest(List.of("sh", "-c", script.replace("4", "6")),
                List.of(), null, null, "t1"));
        assertTrue(rt().processes(NS, host).stream().anyMatch(x -> "t1".equals(x.execId())), "listed as a named exec");
        p.resize(90, 25);
        TaskInput execIn = p.openStdin();
        execIn.write("there\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), 6);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (p.exit() == null) {
            assertTrue(System.nanoTime() < deadline, "the exec did not end:\n" + screen(p.log()));
            Thread.sleep(20);
        }
        assertEquals(6, p.exit().code());
        assertTrue(screen(p.log()).contains("got there size 25 90 on /dev/pts/"), screen(p.log()));
        execIn.close();
        // the init's own output is untouched by the exec's terminal, and the exec is no longer listed
        assertTrue(rt().processes(NS, host).stream().noneMatch(x -> x.execId() != null));
        ExecResult plain = rt().exec(NS, host, ExecRequest.of("sh", "-c", "busybox tty || true"));
        assertEquals("not a tty\n", plain.stdout());
        rt().delete(NS, host, true);
        assertFalse(Files.exists(rt().bundle(NS, host)), "the exec's directory goes with the bundle");
    }

    @Test
    void exitCodesAndBothStreamsReachTheLog() {
        String id = id("exit");
        run(id, sh("echo to-out; echo to-err >&2; exit 3"));
        TaskStatus done = rt().waitForExit(NS, id, WAIT);
        assertEquals(TaskState.STOPPED, done.state());
        assertEquals(3, done.exitCode());
        assertFalse(done.oomKilled());
        String log = log(id);
        assertTrue(log.contains("stdout:to-out") && log.contains("stderr:to-err"), log);
        assertCategory(ErrorCategory.NOT_FOUND, () -> rt().kill(NS, id, Signals.SIGTERM, false));
        rt().delete(NS, id, false);
    }

    @Test
    void killGivesTheSignalsExitCodeAndStopEscalatesToSigkill() {
        String term = id("term");
        // in the host's pid namespace the init is not PID 1, so SIGTERM's default action kills it
        run(term, ContainerSpec.builder().args("sleep", "1000").hostNamespace("pid").build());
        rt().kill(NS, term, Signals.SIGTERM, false);
        assertEquals(143, rt().waitForExit(NS, term, WAIT).exitCode(), "128 + SIGTERM");
        rt().delete(NS, term, false);

        String stubborn = id("stubborn");
        // PID 1 of its pid namespace without a SIGTERM handler: the kernel drops SIGTERM
        run(stubborn, ContainerSpec.builder().args("sleep", "1000").build());
        assertEquals(137, rt().stop(NS, stubborn, Duration.ofMillis(300)).exitCode(), "SIGTERM ignored: SIGKILL");
        assertEquals(137, rt().stop(NS, stubborn, Duration.ofMillis(300)).exitCode(), "stop is idempotent");
        rt().delete(NS, stubborn, false);
    }

    @Test
    void execRunsInsideWithItsOwnExitCodeAndOutput() {
        String id = id("exec");
        run(id, ContainerSpec.builder().args("sleep", "1000").env("GREETING", "hello").build());
        ExecResult r = rt().exec(NS, id, ExecRequest.of("sh", "-c", "echo $GREETING; echo oops >&2; exit 7"));
        assertEquals(7, r.exitCode());
        assertEquals("hello\n", r.stdout());
        assertEquals("oops\n", r.stderr());
        assertEquals(TaskState.RUNNING, rt().state(NS, id).state(), "an exec's exit is not the task's");
        rt().delete(NS, id, true);
        assertCategory(ErrorCategory.NOT_FOUND, () -> rt().exec(NS, id, ExecRequest.of("true")));
    }

    @Test
    void aNamedExecIsListedAmongTheTaskProcessesAndIsSignalledAlone() throws Exception {
        String id = id("named");
        TaskStatus t = run(id, ContainerSpec.builder().args("sleep", "1000").build());
        assertEquals(List.of(new TaskProcess(t.pid(), null)), rt().processes(NS, id));
        var exec = java.util.concurrent.CompletableFuture.supplyAsync(() -> rt().exec(NS, id,
                new ExecRequest(List.of("sleep", "1000"), List.of(), null, null, "long")));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (rt().processes(NS, id).stream().noneMatch(p -> "long".equals(p.execId())) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<TaskProcess> both = rt().processes(NS, id);
        assertEquals(2, both.size(), both.toString());
        assertTrue(both.contains(new TaskProcess(t.pid(), null)), both.toString());
        rt().killExec(NS, id, "long", Signals.SIGKILL);
        assertEquals(128 + Signals.SIGKILL, exec.get(WAIT.toSeconds(), TimeUnit.SECONDS).exitCode());
        assertEquals(List.of(new TaskProcess(t.pid(), null)), rt().processes(NS, id), "only the exec went");
        assertEquals(TaskState.RUNNING, rt().state(NS, id).state());
        assertCategory(ErrorCategory.NOT_FOUND, () -> rt().killExec(NS, id, "long", Signals.SIGKILL));
        assertCategory(ErrorCategory.INVALID_ARGUMENT, () -> rt().killExec(NS, id, "../long", Signals.SIGKILL));
        rt().delete(NS, id, true);
        assertCategory(ErrorCategory.NOT_FOUND, () -> rt().processes(NS, id));
    }

    @Test
    void limitsAreInForceInTheKernelAndChangeInPlace() throws Exception {
        String id = id("limits");
        Resources asked = Resources.NONE.withMemoryLimit(48L << 20).withPidsLimit(24L).withCpuShares(256L);
        long pid = run(id, ContainerSpec.builder().args("sleep", "1000").resources(asked).build()).pid();
        Resources kernel = Cgroups.host().limits(cgroup(id));
        assertEquals(48L << 20, kernel.memoryLimit());
        assertEquals(24L, kernel.pidsLimit());
        assertEquals(256L, kernel.cpuShares());
        assertEquals(kernel, rt().limits(NS, id));
        assertDriverView(id, asked);

        Resources lower = Resources.NONE.withMemoryLimit(32L << 20).withPidsLimit(16L).withCpuShares(512L);
        rt().update(NS, id, lower);
        kernel = Cgroups.host().limits(cgroup(id));
        assertEquals(32L << 20, kernel.memoryLimit());
        assertEquals(16L, kernel.pidsLimit());
        assertEquals(512L, kernel.cpuShares());
        assertDriverView(id, lower);
        assertEquals(pid, rt().state(NS, id).pid(), "updated in place, not restarted");
        assertTrue(rt().stats(NS, id).pidsCurrent() >= 1);
        rt().delete(NS, id, true);
        assertFalse(Cgroups.host().exists(cgroup(id)));
        assertDriverView(id, null);
    }

    @Test
    void theOomKillerIsReported() {
        String id = id("oom");
        run(id, ContainerSpec.builder().args("dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=4")
                .resources(Resources.NONE.withMemoryLimit(16L << 20)).build());
        TaskStatus done = rt().waitForExit(NS, id, WAIT);
        assertEquals(137, done.exitCode());
        assertTrue(done.oomKilled(), done.toString());
        rt().delete(NS, id, false);
    }

    @Test
    void aRuntimeOpenedAgainAdoptsRunningTasksAndRecordsExitsWhileItWasClosed() throws Exception {
        String stays = id("stays");
        String exits = id("exits");
        long pid = run(stays, ContainerSpec.builder().args("sleep", "1000")
                .resources(Resources.NONE.withMemoryLimit(40L << 20)).build()).pid();
        Path trigger = opened.rootfs().resolve("tmp/exit-" + exits);
        run(exits, sh("while [ ! -e /tmp/exit-" + exits + " ]; do sleep 0.1; done; exit 42"));

        opened.reopen();
        TaskStatus adopted = rt().state(NS, stays);
        assertEquals(TaskState.RUNNING, adopted.state());
        assertEquals(pid, adopted.pid(), "adopted, not restarted");
        assertEquals(40L << 20, rt().limits(NS, stays).memoryLimit());
        assertDriverView(stays, Resources.NONE.withMemoryLimit(40L << 20));

        // an exit while no runtime is open is recorded when one opens
        long exitsPid = rt().state(NS, exits).pid();
        opened.shutDown();
        Files.writeString(trigger, "");
        ProcessHandle.of(exitsPid).ifPresent(p -> p.onExit().orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join());
        opened.reopen();
        assertEquals(42, rt().waitForExit(NS, exits, WAIT).exitCode());
        assertEquals(TaskState.RUNNING, rt().state(NS, stays).state());
        rt().kill(NS, stays, Signals.SIGKILL, false);
        assertEquals(137, rt().waitForExit(NS, stays, WAIT).exitCode());
        for (String id : List.of(stays, exits)) {
            rt().delete(NS, id, false);
            assertFalse(Cgroups.host().exists(cgroup(id)));
            assertDriverView(id, null);
        }
        Files.deleteIfExists(trigger);
    }
}
