package dev.berth.engine.runtime.conmon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.spec.ContainerSpec;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fork-free status against {@code runc state} itself, on real containers under conmon: both are
 * asked at every step of a task's life and must agree, and the runtime must not fork runc on the
 * way.
 */
class RuncStateFilesIT {
    private static final String NS = "default";
    private static final Duration WAIT = Duration.ofSeconds(30);
    static RuntimeFixture fx;
    private final RuncStateFiles files = new RuncStateFiles(Cgroups.host(), Path.of("/proc"));

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

    private static Path runcRoot() {
        return fx.dir.resolve("state/runc").resolve(NS);
    }

    /** What the runc binary answers, forked here independently of the runtime under test. */
    private static Optional<OciRuntimeCli.State> runcSays(String id) throws Exception {
        Process p = new ProcessBuilder(fx.runtimeBinary, "--root", runcRoot().toString(), "state", id).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            assertTrue(err.contains("does not exist"), err);
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = OciJson.MAPPER.readValue(out, Map.class);
        return Optional.of(new OciRuntimeCli.State(TaskState.parse((String) m.get("status")),
                ((Number) m.get("pid")).longValue()));
    }

    private Optional<OciRuntimeCli.State> filesSay(String id, String cgroup) {
        return files.state(runcRoot().resolve(id), cgroup);
    }

    /** runc says {@code expected}, the files say exactly the same, and the runtime reports it without a fork. */
    private void agree(String id, String cgroup, TaskState expected) throws Exception {
        Optional<OciRuntimeCli.State> runc = runcSays(id);
        assertEquals(Optional.of(expected), runc.map(OciRuntimeCli.State::state));
        assertEquals(runc, filesSay(id, cgroup), "fast path decides, and as runc does");
        long forks = fx.runtime.stateForks();
        TaskStatus st = fx.runtime.state(NS, id);
        assertEquals(expected, st.state());
        if (expected != TaskState.STOPPED) {
            assertEquals(runc.get().pid(), st.pid());
        }
        assertEquals(forks, fx.runtime.stateForks(), "status of a " + expected.text() + " task forked runc");
    }

    private static void shell(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
    }

    @Test
    void agreesWithRuncThroughCreateStartPauseResumeAndAnOutsideKill() throws Exception {
        String id = fx.id("life");
        TaskStatus created = fx.runtime.create(NS, id, fx.spec(id, ContainerSpec.builder().args("sleep", "1000").build()));
        String cgroup = created.cgroupPath();
        assertTrue(Files.exists(runcRoot().resolve(id).resolve(RuncStateFiles.EXEC_FIFO)));
        agree(id, cgroup, TaskState.CREATED);
        fx.runtime.start(NS, id);
        agree(id, cgroup, TaskState.RUNNING);
        fx.runtime.pause(NS, id);
        agree(id, cgroup, TaskState.PAUSED);
        fx.runtime.resume(NS, id);
        agree(id, cgroup, TaskState.RUNNING);

        long pid = fx.runtime.state(NS, id).pid();
        shell("kill", "-9", Long.toString(pid));
        await().atMost(WAIT).until(() -> runcSays(id).map(OciRuntimeCli.State::state).orElse(null) == TaskState.STOPPED);
        // runc's state dir stays until delete: the files must say stopped too, not fall back
        assertEquals(runcSays(id), filesSay(id, cgroup));
        assertEquals(Optional.of(TaskState.STOPPED), filesSay(id, cgroup).map(OciRuntimeCli.State::state));
        TaskStatus done = fx.runtime.waitForExit(NS, id, WAIT);
        assertEquals(137, done.exitCode());
        agree(id, cgroup, TaskState.STOPPED);
        fx.runtime.delete(NS, id, false);
    }

    @Test
    void aContainerDeletedBehindBerthsBackIsNotDecidedFromFiles() throws Exception {
        String id = fx.id("gone");
        String cgroup = fx.run(id, ContainerSpec.builder().args("sleep", "1000").build()).cgroupPath();
        agree(id, cgroup, TaskState.RUNNING);
        shell(fx.runtimeBinary, "--root", runcRoot().toString(), "delete", "--force", id);
        assertEquals(Optional.empty(), runcSays(id));
        assertEquals(Optional.empty(), filesSay(id, cgroup), "no state.json: only runc can say it is gone");
        // conmon saw its child die and wrote the exit; the runtime reports that
        await().atMost(WAIT).until(() -> fx.runtime.state(NS, id).state() == TaskState.STOPPED);
        assertEquals(137, fx.runtime.state(NS, id).exitCode());
        fx.runtime.delete(NS, id, false);
    }

    /** Not an assertion on time: prints what one status costs each way, for the performance notes. */
    @Test
    void costOfOneStatusEachWay() throws Exception {
        String id = fx.id("cost");
        String cgroup = fx.run(id, ContainerSpec.builder().args("sleep", "1000").build()).cgroupPath();
        OciRuntimeCli cli = new OciRuntimeCli(fx.options().runtimeBinary(), fx.dir.resolve("state/runc"), false);
        long forks = fx.runtime.stateForks();
        String runtime = measure("ConmonRuntime.state (files)", () -> fx.runtime.state(NS, id).state());
        String fast = measure("RuncStateFiles.state alone", () -> filesSay(id, cgroup).orElseThrow().state());
        String fork = measure("runc state (fork)", () -> cli.state(NS, id).orElseThrow().state());
        TaskRecords records = new TaskRecords(fx.metadata);
        String row = measure("TaskRecords.get (SQLite)",
                () -> records.get(NS, id).orElseThrow().exitCode() == null ? TaskState.RUNNING : TaskState.STOPPED);
        assertEquals(forks, fx.runtime.stateForks());
        System.out.println("status cost per call on one running task:\n  " + runtime + "\n  " + fast + "\n  " + fork
                + "\n  " + row);
        fx.runtime.delete(NS, id, true);
    }

    private static String measure(String what, Supplier<TaskState> call) throws Exception {
        for (int i = 0; i < 10; i++) {
            assertEquals(TaskState.RUNNING, call.get());
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int n = 100;
        long[] ticks0 = selfAndChildrenTicks();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            assertEquals(TaskState.RUNNING, call.get());
        }
        long wall = System.nanoTime() - t0;
        long cpu = threads.getCurrentThreadCpuTime() - cpu0;
        long[] ticks1 = selfAndChildrenTicks();
        return String.format("%-30s %8.3f ms wall, %7.3f ms CPU in the calling thread, %6.2f ms CPU in children",
                what, wall / 1e6 / n, cpu / 1e6 / n, (ticks1[1] - ticks0[1]) * 10.0 / n);
    }

    /** utime+stime and cutime+cstime of this JVM in clock ticks (USER_HZ, 100 on Linux). */
    private static long[] selfAndChildrenTicks() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // f[0] is field 3; utime..cstime are fields 14..17
        return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[13]) + Long.parseLong(f[14])};
    }
}
