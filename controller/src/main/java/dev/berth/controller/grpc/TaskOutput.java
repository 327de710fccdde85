package dev.berth.controller.grpc;

import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.logs.CriLog;
import dev.berth.engine.sys.Processes;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's view of a task's output: what the container writes (conmon keeps it in the task's CRI
 * log, as for every container) copied line by line to the client's FIFOs from the moment of
 * Tasks/Create, until the task has exited and the log is drained; then the FIFOs are closed, which
 * is the end-of-file ctr waits for before it deletes the task. A client that stopped reading
 * ({@code ctr run -d}) fills a pipe at most: the FIFOs are closed a little after the exit anyway.
 * Thread-safe.
 */
final class TaskOutput {
    private static final Logger LOG = LoggerFactory.getLogger(TaskOutput.class);
    /**
     * How long a stopped task's copy waits for an end, and for the client to take the last bytes;
     * a copy stuck on a full pipe (a client that stopped reading) is cut at twice this after the exit.
     */
    private static final Duration STUCK = Duration.ofSeconds(5);
    /**
     * How often the log and the task itself (its runc state, cgroup and processes: a few hundred
     * microseconds) are looked at while the task runs and nothing woke the copy. conmon's writes to
     * the log wake it (an overflow of inotify's queue wakes every follower; a log that cannot be
     * watched is looked at every {@link LogPause#UNWATCHED_MILLIS}), and so does the exit, which comes
     * through the runtime's exit listeners, whose own full scan catches a lost exit file. This look is
     * only for a task that ends with no exit heard at all. At one second, fifty quiet detached tasks
     * cost the daemon 2 % of a core.
     */
    private static final long IDLE_LOOK_MILLIS = 10_000;
    /**
     * How often, once the exit is recorded, the copy looks whether conmon is gone: only for the moment
     * it takes conmon to drain the pipes and exit, and ctr waits for exactly this end before Tasks/Delete.
     */
    private static final long DRAIN_POLL_MILLIS = 2;
    private static final ScheduledExecutorService CLOSER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "berth-fifo-closer");
        t.setDaemon(true);
        return t;
    });

    private TaskOutput() {
    }

    /**
     * Whether the task's output is all in its log: once the exit is recorded and its monitor (conmon,
     * which drains the container's pipes into the log before it exits) is gone, or the task is gone;
     * a task that stopped without that end gets {@link #STUCK} before the copy gives up.
     */
    private static boolean drained(TaskRuntime runtime, String ns, String id, long[] deadSince) {
        Optional<TaskStatus> t;
        try {
            t = runtime.find(ns, id);
        } catch (RuntimeException e) {
            // a status that cannot be read this moment (runc state under load) is asked again next poll;
            // ending the copy here would drop output the log already holds
            LOG.debug("task {}/{}: status not readable yet for its output copy: {}", ns, id, e.getMessage());
            return false;
        }
        if (t.isEmpty() || t.get().exitCode() != null && !Processes.alive(t.get().monitorPid(), "conmon")) {
            return true;
        }
        if (t.get().state().alive()) {
            return false;
        }
        long now = System.nanoTime();
        if (deadSince[0] == 0) {
            deadSince[0] = now;
        }
        return now - deadSince[0] > STUCK.toNanos();
    }

    /** What a terminal's log piece stands for: its bytes, and the newline conmon split a whole line at. */
    static byte[] terminalBytes(CriLog.Piece p) {
        return (p.partial() ? p.text() : p.text() + "\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /**
     * Starts copying task {@code ns/id}'s new log lines to {@code fifos}; the future completes once
     * the copy has ended (the client has the output, or stopped taking it). Tasks/Wait answers only
     * then: ctr cancels its FIFO readers as soon as it hears of the exit, so output still on its way
     * would be lost (containerd's shim has it in the FIFO before the exit is even reaped).
     */
    static java.util.concurrent.CompletableFuture<Void> attach(TaskRuntime runtime, String ns, String id, ClientFifos fifos) {
        return attach(runtime, ns, id, fifos, false);
    }

    /**
     * {@link #attach(TaskRuntime, String, String, ClientFifos)}; for a task on a terminal
     * ({@code terminal}) the log's pieces go to the client as they come, partial ones (a shell's
     * prompt) without waiting for their newline, so the client's terminal sees the bytes the pty gave.
     */
    static java.util.concurrent.CompletableFuture<Void> attach(TaskRuntime runtime, String ns, String id, ClientFifos fifos,
            boolean terminal) {
        // what the log holds now (an earlier task of this id) is counted here, before Tasks/Create returns:
        // the copy thread may start after the container has already written its first lines
        java.nio.file.Path log = runtime.logPath(ns, id);
        int earlier = !java.nio.file.Files.exists(log) ? 0
                : terminal ? CriLog.readPieces(log).size() : CriLog.read(log).size();
        int[] skip = {earlier};
        long[] deadSince = {0};
        var ended = new java.util.concurrent.CompletableFuture<Void>();
        java.util.concurrent.atomic.AtomicBoolean exited = new java.util.concurrent.atomic.AtomicBoolean();
        LogPause pause = new LogPause(log, () -> exited.get() ? DRAIN_POLL_MILLIS : IDLE_LOOK_MILLIS);
        AutoCloseable exitListener = runtime.onExit(x -> {
            if (x.namespace().equals(ns) && x.id().equals(id)) {
                exited.set(true);
                pause.wake();
                CLOSER.schedule(fifos::close, 2 * STUCK.toMillis(), TimeUnit.MILLISECONDS);
            }
        });
        // the task's state is read when the exit was heard, else at IDLE_LOOK_MILLIS (a task that ended
        // unheard), not at every write of a chatty container nor at every idle look of the log
        long[] lookedAt = {System.nanoTime()};
        java.util.function.BooleanSupplier done = () -> {
            long now = System.nanoTime();
            if (!exited.get() && now - lookedAt[0] < TimeUnit.MILLISECONDS.toNanos(IDLE_LOOK_MILLIS)) {
                return false;
            }
            lookedAt[0] = now;
            return drained(runtime, ns, id, deadSince);
        };
        Thread copy = new Thread(() -> {
            try {
                if (terminal) {
                    CriLog.followPieces(log, p -> {
                        if (skip[0] > 0) {
                            skip[0]--;
                        } else {
                            fifos.write(false, TaskOutput.terminalBytes(p));
                        }
                    }, done, pause);
                } else {
                    CriLog.follow(log, -1, e -> {
                        if (skip[0] > 0) {
                            skip[0]--;
                        } else {
                            fifos.write(e.stderr(), e.text() + "\n");
                        }
                    },
                            done, pause);
                }
                fifos.finish(ClientFifos.STALL, STUCK);
            } catch (RuntimeException e) {
                LOG.warn("task {}/{}: copying its output to the client stopped: {}", ns, id, e.getMessage());
            } finally {
                fifos.close();
                ended.complete(null);
                pause.close();
                try {
                    exitListener.close();
                } catch (Exception e) {
                    // the listener is gone with the runtime
                }
            }
        }, "berth-fifo-" + ns + "-" + id);
        copy.setDaemon(true);
        copy.start();
        return ended;
    }
}
