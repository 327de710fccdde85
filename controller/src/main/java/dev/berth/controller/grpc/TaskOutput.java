package dev.berth.controller.grpc;

import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.logs.CriLog;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A client's view of a task's output: what the container writes (conmon keeps it in the task's CRI
 * log, as for every container) copied line by line to the client's FIFOs from the moment of
 * Tasks/Create, until the task has exited and the log is drained; then the FIFOs are closed, which
 * is the end-of-file ctr waits for before it deletes the task. A client that stopped reading
 * ({@code ctr run -d}) fills a pipe at most: the FIFOs are closed a little after the exit anyway.
 * Thread-safe.
 */
final class TaskOutput {
    /** How long after the exit a copy stuck on a full pipe is given before the FIFOs are closed. */
    private static final Duration STUCK = Duration.ofSeconds(5);
    /** How often the log is looked at while the task runs (the exit cuts a wait short). */
    private static final long POLL_MILLIS = 20;
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
        var t = runtime.find(ns, id);
        if (t.isEmpty() || t.get().exitCode() != null && !running(t.get().monitorPid())) {
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

    /** Whether process {@code pid} still runs (a zombie has finished its work). */
    private static boolean running(long pid) {
        if (pid <= 0) {
            return false;
        }
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** Starts copying task {@code ns/id}'s new log lines to {@code fifos}. */
    static void attach(TaskRuntime runtime, String ns, String id, ClientFifos fifos) {
        // what the log holds now (an earlier task of this id) is counted here, before Tasks/Create returns:
        // the copy thread may start after the container has already written its first lines
        java.nio.file.Path log = runtime.logPath(ns, id);
        int earlier = java.nio.file.Files.exists(log) ? CriLog.read(log).size() : 0;
        int[] skip = {earlier};
        long[] deadSince = {0};
        java.util.concurrent.atomic.AtomicBoolean exited = new java.util.concurrent.atomic.AtomicBoolean();
        Object wake = new Object();
        AutoCloseable[] exitListener = new AutoCloseable[1];
        exitListener[0] = runtime.onExit(x -> {
            if (x.namespace().equals(ns) && x.id().equals(id)) {
                synchronized (wake) {
                    exited.set(true);
                    wake.notifyAll();
                }
                CLOSER.schedule(fifos::close, STUCK.toMillis(), TimeUnit.MILLISECONDS);
            }
        });
        CriLog.Pause pause = () -> {
            synchronized (wake) {
                wake.wait(exited.get() ? DRAIN_POLL_MILLIS : POLL_MILLIS);
            }
        };
        Thread copy = new Thread(() -> {
            try {
                CriLog.follow(log, -1, e -> {
                    if (skip[0] > 0) {
                        skip[0]--;
                    } else {
                        fifos.write(e.stderr(), e.text() + "\n");
                    }
                },
                        () -> drained(runtime, ns, id, deadSince), pause);
            } finally {
                fifos.close();
                try {
                    exitListener[0].close();
                } catch (Exception e) {
                    // the listener is gone with the runtime
                }
            }
        }, "berth-fifo-" + ns + "-" + id);
        copy.setDaemon(true);
        copy.start();
    }
}
