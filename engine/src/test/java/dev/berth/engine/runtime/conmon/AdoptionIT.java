package dev.berth.engine.runtime.conmon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.runtime.TaskExit;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.spec.ContainerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The daemon restarts while three containers run: they keep running, the new runtime adopts them
 * without starting duplicates, an exit that happens while no runtime is open is recorded on the
 * next open, and an exit after the restart is recorded through the re-attached watcher.
 */
class AdoptionIT {
    private static final String NS = "default";
    private static final Duration WAIT = Duration.ofSeconds(30);
    RuntimeFixture fx;

    @BeforeEach
    void setUp() throws Exception {
        fx = new RuntimeFixture("runc");
    }

    @AfterEach
    void tearDown() throws Exception {
        fx.close();
    }

    /** Waits for /tmp/go-<id> in the shared rootfs, then exits with {@code code}. */
    private ContainerSpec waitsForTrigger(String id, int code) {
        return ContainerSpec.builder().args("sh", "-c",
                "while [ ! -f /tmp/go-" + id + " ]; do sleep 0.1; done; echo bye; exit " + code).build();
    }

    private void trigger(String id) throws Exception {
        Files.createFile(fx.rootfs.resolve("tmp/go-" + id));
    }

    @Test
    void tasksSurviveARestartAndExitsAreNeverLost() throws Exception {
        String a = fx.id("a");
        String b = fx.id("b");
        String c = fx.id("c");
        Map<String, Long> pids = new java.util.HashMap<>();
        for (String id : List.of(a, b, c)) {
            pids.put(id, fx.run(id, waitsForTrigger(id, id.equals(a) ? 41 : 42)).pid());
        }
        fx.closeRuntime();

        // while no runtime is open: all three still run; a exits
        for (long pid : pids.values()) {
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "container init " + pid);
        }
        trigger(a);
        Path exitFile = fx.dir.resolve("state/exits/default/" + a);
        await().atMost(WAIT).until(() -> Files.exists(exitFile) && !Files.readString(exitFile).isBlank());

        fx.open();
        List<TaskExit> events = new CopyOnWriteArrayList<>();
        fx.runtime.onExit(events::add);
        Map<String, TaskStatus> byId = fx.runtime.list(NS).stream()
                .collect(Collectors.toMap(TaskStatus::id, s -> s));
        assertEquals(TaskState.STOPPED, byId.get(a).state(), "exit while down is recorded on open");
        assertEquals(41, byId.get(a).exitCode());
        assertEquals(TaskState.RUNNING, byId.get(b).state());
        assertEquals(TaskState.RUNNING, byId.get(c).state());
        assertEquals(pids.get(b), byId.get(b).pid(), "adopted, not restarted");
        assertEquals(pids.get(c), byId.get(c).pid(), "adopted, not restarted");

        BerthException dup = org.junit.jupiter.api.Assertions.assertThrows(BerthException.class,
                () -> fx.runtime.create(NS, b, fx.spec(b, waitsForTrigger(b, 0))));
        assertEquals(ErrorCategory.ALREADY_EXISTS, dup.category());
        BerthException restart = org.junit.jupiter.api.Assertions.assertThrows(BerthException.class,
                () -> fx.runtime.start(NS, b));
        assertEquals(ErrorCategory.FAILED_PRECONDITION, restart.category());

        // an exit after the restart arrives through the re-attached watcher, without anyone asking
        trigger(b);
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e.id().equals(b) && e.exitCode() == 42));
        assertEquals(42, fx.runtime.state(NS, b).exitCode());

        assertEquals(137, fx.runtime.stop(NS, c, Duration.ofMillis(300)).exitCode());
        for (String id : List.of(a, b, c)) {
            fx.runtime.delete(NS, id, false);
        }
        assertTrue(fx.runtime.list(NS).isEmpty());
    }

    @Test
    void aMonitorKilledWithoutAnExitFileIsRecordedAs255() throws Exception {
        String id = fx.id("lost");
        TaskStatus st = fx.run(id, ContainerSpec.builder().args("sleep", "1000").build());
        fx.closeRuntime();
        // conmon dies hard, then the container goes too: nobody writes an exit file
        ProcessHandle.of(st.monitorPid()).orElseThrow().destroyForcibly();
        await().atMost(WAIT).until(() -> !TaskFiles.alive(st.monitorPid(), "conmon"));
        ProcessHandle.of(st.pid()).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(WAIT).until(() -> !ProcessHandle.of(st.pid()).map(ProcessHandle::isAlive).orElse(false));
        fx.open();
        TaskStatus after = fx.runtime.state(NS, id);
        assertEquals(TaskState.STOPPED, after.state());
        assertEquals(255, after.exitCode());
        fx.runtime.delete(NS, id, false);
    }
    /**
     * Regression (issue 12): after repeated daemon kills a container ran under runc with its conmon
     * gone, and the runtime kept reporting it Running: no exit would ever be recorded. On open each
     * adopted task must have a live monitor of its own; a running one without is killed and its exit
     * recorded (255), so its restart policy restarts it under a new monitor.
     */
    @Test
    void aRunningContainerWhoseMonitorDiedIsKilledAndRecordedAs255OnOpen() throws Exception {
        String id = fx.id("orphan");
        TaskStatus st = fx.run(id, ContainerSpec.builder().args("sleep", "1000").build());
        fx.closeRuntime();
        // conmon dies hard (SIGKILL); the container goes on running with nobody to report its exit
        ProcessHandle.of(st.monitorPid()).orElseThrow().destroyForcibly();
        await().atMost(WAIT).until(() -> !TaskFiles.alive(st.monitorPid(), "conmon"));
        assertTrue(ProcessHandle.of(st.pid()).map(ProcessHandle::isAlive).orElse(false), "container still runs");
        fx.open();
        TaskStatus after = fx.runtime.state(NS, id);
        assertEquals(TaskState.STOPPED, after.state(), "a task without a monitor is not left Running");
        assertEquals(255, after.exitCode());
        await().atMost(WAIT).until(() -> goneOrZombie(st.pid()));
        fx.runtime.delete(NS, id, false);
        // and it can be created and run again under a new monitor
        TaskStatus again = fx.run(id, ContainerSpec.builder().args("sleep", "1000").build());
        assertEquals(TaskState.RUNNING, again.state());
        assertTrue(TaskFiles.alive(again.monitorPid(), "conmon"));
    }

    /** Regression (issue 12): a created task whose monitor died was started later without one. */
    @Test
    void aCreatedContainerWhoseMonitorDiedIsRemovedOnOpenSoItIsCreatedAgain() throws Exception {
        String id = fx.id("half");
        TaskStatus created = fx.runtime.create(NS, id, fx.spec(id, ContainerSpec.builder().args("sleep", "1000").build()));
        fx.closeRuntime();
        ProcessHandle.of(created.monitorPid()).orElseThrow().destroyForcibly();
        await().atMost(WAIT).until(() -> !TaskFiles.alive(created.monitorPid(), "conmon"));
        fx.open();
        assertTrue(fx.runtime.find(NS, id).isEmpty(), "the unmonitored created task is gone");
        await().atMost(WAIT).until(() -> goneOrZombie(created.pid()));
        TaskStatus again = fx.run(id, ContainerSpec.builder().args("sleep", "1000").build());
        assertEquals(TaskState.RUNNING, again.state());
        assertTrue(TaskFiles.alive(again.monitorPid(), "conmon"));
    }

    /** A monitor pid that now belongs to another task's conmon is not taken for this task's monitor. */
    @Test
    void aMonitorPidOfAnotherTaskDoesNotCount() throws Exception {
        String a = fx.id("mine");
        String b = fx.id("other");
        TaskStatus sa = fx.run(a, ContainerSpec.builder().args("sleep", "1000").build());
        TaskStatus sb = fx.run(b, ContainerSpec.builder().args("sleep", "1000").build());
        fx.closeRuntime();
        ProcessHandle.of(sa.monitorPid()).orElseThrow().destroyForcibly();
        await().atMost(WAIT).until(() -> !TaskFiles.alive(sa.monitorPid(), "conmon"));
        // as if a's conmon pid had been reused by b's conmon
        sql("UPDATE tasks SET monitor_pid=? WHERE id=?", sb.monitorPid(), a);
        fx.open();
        assertEquals(255, fx.runtime.state(NS, a).exitCode());
        assertEquals(TaskState.RUNNING, fx.runtime.state(NS, b).state(), "the other task is untouched");
        fx.runtime.delete(NS, a, false);
    }

    @Test
    void theRemainsOfAFailedCreateAreRemovedButAForeignContainerIsNot() throws Exception {
        // a create that failed half-way: runc's container exists (created), its monitor is gone and
        // Berth has no record of it
        String id = fx.id("left");
        TaskStatus created = fx.runtime.create(NS, id, fx.spec(id, ContainerSpec.builder().args("sleep", "1000").build()));
        fx.closeRuntime();
        ProcessHandle.of(created.monitorPid()).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(WAIT).until(() -> !TaskFiles.alive(created.monitorPid(), "conmon"));
        sql("DELETE FROM tasks WHERE id=?", id);
        fx.open();
        TaskStatus again = fx.run(id, ContainerSpec.builder().args("sleep", "1000").build());
        assertEquals(TaskState.RUNNING, again.state(), "the leftover was removed and the task created anew");
        // the old init was killed (it may stay a zombie of whoever inherited it)
        await().atMost(WAIT).until(() -> goneOrZombie(created.pid()));

        // a running container without a record is somebody else's business: refused, left alone
        fx.closeRuntime();
        sql("DELETE FROM tasks WHERE id=?", id);
        fx.open();
        BerthException e = org.junit.jupiter.api.Assertions.assertThrows(BerthException.class,
                () -> fx.runtime.create(NS, id, fx.spec(id, ContainerSpec.builder().args("sleep", "1000").build())));
        assertEquals(ErrorCategory.ALREADY_EXISTS, e.category());
        assertTrue(e.getMessage().contains("delete --force " + id), e.getMessage());
        assertTrue(ProcessHandle.of(again.pid()).map(ProcessHandle::isAlive).orElse(false), "still running");
        // the fixture force-deletes what is left in its runc root
    }

    /** Changes the closed runtime's task table behind its back, as a crash or a lost write would. */
    private void sql(String statement, Object... args) {
        try (MetadataStore db = MetadataStore.open(fx.dir.resolve("root/meta.db"))) {
            db.inTransaction(c -> {
                try (var ps = c.prepareStatement(statement)) {
                    for (int i = 0; i < args.length; i++) {
                        ps.setObject(i + 1, args[i]);
                    }
                    return ps.executeUpdate();
                }
            });
        }
    }

    private static boolean goneOrZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'Z' || state == 'X';
        } catch (java.io.IOException e) {
            return true;
        }
    }
}
