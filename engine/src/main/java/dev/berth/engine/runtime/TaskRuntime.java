package dev.berth.engine.runtime;

import dev.berth.engine.cgroups.CgroupPaths;
import dev.berth.engine.cgroups.CgroupStats;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs tasks: a container's init process in an OCI runtime (runc or crun) supervised by a monitor
 * that outlives this process. A task is named by (namespace, id); its bundle is
 * {@code <state>/tasks/<namespace>/<id>/} and its log {@code <log_dir>/<namespace>/<id>.log}.
 *
 * <p>State machine (containerd's): {@code create} → CREATED; {@code start} → RUNNING;
 * {@code pause}/{@code resume} ⇄ PAUSED; the process exits → STOPPED with its exit status recorded
 * (also when it exits while no Berth runs); {@code delete} removes it. Delete is refused while the
 * task is alive unless forced; pause and resume are refused in CREATED; exec needs CREATED or
 * RUNNING; kill works in every live state and is NOT_FOUND once the task has stopped.
 *
 * <p>Errors are {@code BerthException}s: NOT_FOUND for unknown tasks, ALREADY_EXISTS when creating
 * a task that exists (in any state: delete it first), FAILED_PRECONDITION for a wrong state or a
 * runtime refusal (with the runtime's message), UNAVAILABLE when a binary is missing.
 *
 * <p>Thread-safe. Create, start, delete, pause, resume and update of one task are serialised; kill,
 * exec, state and waits may run alongside them; different tasks proceed in parallel. Containers
 * never depend on this object or its process: closing it (or a crash) leaves them running.
 */
public interface TaskRuntime extends AutoCloseable {

    /** The cgroup naming in use (driver and parent), with which callers set {@code cgroupsPath}. */
    CgroupPaths cgroupPaths();

    /**
     * Creates the task from {@code spec} in {@link #bundle}: root.path must name an existing
     * directory and linux.cgroupsPath must be set (the containers service sets it with
     * {@link #cgroupPaths()}; the runtime records it and never replaces it). The process exists,
     * stopped before the user's program, until {@link #start}.
     */
    TaskStatus create(String namespace, String id, RuntimeSpec spec);

    /** What a task's init process reads on stdin. */
    enum Stdin {
        /** {@code /dev/null}: every task Berth makes for itself. */
        NULL,
        /** A pipe its monitor keeps open, fed through {@link #openStdin} (a containerd client's stdin FIFO). */
        PIPE,
        /**
         * A pseudo-terminal its monitor holds the master of ({@code ctr run -t}; the spec's
         * process.terminal must be true): the process's stdin, stdout and stderr; what is written
         * through {@link #openStdin} reaches it as keystrokes, its output is the log's stdout, and
         * {@link #resizePty} sets its size.
         */
        TERMINAL
    }

    /** {@link #create(String, String, RuntimeSpec)} with the init's stdin chosen. */
    default TaskStatus create(String namespace, String id, RuntimeSpec spec, Stdin stdin) {
        if (stdin != Stdin.NULL) {
            throw new dev.berth.engine.errdefs.BerthException(dev.berth.engine.errdefs.ErrorCategory.NOT_IMPLEMENTED,
                    "task " + namespace + "/" + id + ": this runtime gives tasks no stdin");
        }
        return create(namespace, id, spec);
    }

    /**
     * The write side of the stdin of a task created with {@link Stdin#PIPE}; FAILED_PRECONDITION for
     * any other task. Open it once: closing it is the process's end of file.
     */
    default TaskInput openStdin(String namespace, String id) {
        throw dev.berth.engine.errdefs.BerthException.precondition("task %s/%s has no stdin to write to", namespace, id);
    }

    /**
     * Sets the size of the terminal of a task created with {@link Stdin#TERMINAL} (the process gets
     * SIGWINCH); FAILED_PRECONDITION for a task without one or one that has exited.
     */
    default void resizePty(String namespace, String id, int width, int height) {
        throw dev.berth.engine.errdefs.BerthException.precondition("task %s/%s has no terminal to resize", namespace, id);
    }

    /**
     * {@link #openStdin(String, String)} fed from {@code source} (a client's FIFO, named by its path
     * and a descriptor of this process open on it, -1 for none), kept open across a restart of this
     * process: until it is closed, the next runtime hands it back through {@link #reattachStdin}.
     */
    default TaskInput openStdin(String namespace, String id, String source, int sourceFd) {
        return openStdin(namespace, id);
    }

    /**
     * The stdin an earlier process opened with a source and never closed, and a fresh descriptor of
     * that source; empty when there is none (or the task has exited: what kept it is then let go).
     */
    default Optional<TaskInput.Reattached> reattachStdin(String namespace, String id) {
        return Optional.empty();
    }

    /**
     * Starts a CREATED task's process; returns it RUNNING with its pid, as the start left it (a
     * process that ends at once is STOPPED by the time a later {@link #state} reads it).
     */
    TaskStatus start(String namespace, String id);

    /** The task's current state; NOT_FOUND when it does not exist. */
    TaskStatus state(String namespace, String id);

    /** The task if it exists. */
    Optional<TaskStatus> find(String namespace, String id);

    /** Every task in {@code namespace}, or in all namespaces when it is null, sorted by namespace and id. */
    List<TaskStatus> list(String namespace);

    /** Sends {@code signal} to the init process, or to every process of the task when {@code all}. */
    void kill(String namespace, String id, int signal, boolean all);

    /**
     * Stops the task: its stop signal (the image's StopSignal, else SIGTERM), then SIGKILL when it is
     * still running after {@code grace}. Returns once it has stopped. Idempotent.
     */
    TaskStatus stop(String namespace, String id, Duration grace);

    /** Waits up to {@code timeout} for the task to stop; the status (STOPPED or still alive). */
    TaskStatus waitForExit(String namespace, String id, Duration timeout);

    /** Removes a task: its runtime state, bundle and record. {@code force} kills a live task first. Log files stay. */
    void delete(String namespace, String id, boolean force);

    void pause(String namespace, String id);

    void resume(String namespace, String id);

    /** Runs a process inside the task and waits for it; output is captured in full. Its stdin is empty. */
    ExecResult exec(String namespace, String id, ExecRequest request);

    /**
     * Starts a named process ({@link ExecRequest#name} required) inside the task on a pseudo-terminal
     * of its own and returns at once; it is signalled with {@link #killExec} and listed by
     * {@link #processes} as any named exec. NOT_IMPLEMENTED where the runtime has no terminals.
     */
    default TerminalProcess execOnTerminal(String namespace, String id, ExecRequest request) {
        throw new dev.berth.engine.errdefs.BerthException(dev.berth.engine.errdefs.ErrorCategory.NOT_IMPLEMENTED,
                "task " + namespace + "/" + id + ": this runtime runs no exec on a terminal");
    }

    /**
     * {@link #exec(String, String, ExecRequest)} with a pipe as the process's stdin: {@code stdin}
     * receives its write side once the process runs (on the calling thread, before this waits), and
     * the process reads end of file once that is closed. NOT_IMPLEMENTED where the runtime cannot.
     */
    default ExecResult exec(String namespace, String id, ExecRequest request, Consumer<TaskInput> stdin) {
        throw new dev.berth.engine.errdefs.BerthException(dev.berth.engine.errdefs.ErrorCategory.NOT_IMPLEMENTED,
                "task " + namespace + "/" + id + ": this runtime gives execs no stdin");
    }

    /**
     * The processes in the task's cgroup now (init, what it started, and execs), each named exec
     * marked with its name; empty once the cgroup is gone. NOT_FOUND for an unknown task.
     */
    List<TaskProcess> processes(String namespace, String id);

    /**
     * Sends {@code signal} to the running exec named {@code execName} ({@link ExecRequest#name}); its
     * {@link #exec} call then returns with the process's end. NOT_FOUND when no exec of that name runs.
     */
    void killExec(String namespace, String id, String execName, int signal);

    /** Changes the task's resource limits in place ({@code runc update}). */
    void update(String namespace, String id, Resources resources);

    /** Cgroup usage of a live task. */
    CgroupStats stats(String namespace, String id);

    /**
     * containerd's per-container cgroup metrics for the task, read from its cgroup now (names and
     * labels as containerd's cgroups metrics plugin has them); empty once its cgroup is gone.
     * NOT_FOUND for an unknown task.
     */
    java.util.List<dev.berth.engine.cgroups.CgroupSample> samples(String namespace, String id);

    /**
     * {@link #samples} of every live task (created, running or paused: no exit recorded), sorted by
     * namespace and id, for a metrics scrape. Cheap to repeat: it asks no runtime for states and
     * keeps the tasks' cgroup files open between calls (closing those of tasks gone), so a call
     * costs one read per file. A task whose cgroup is already gone is left out.
     */
    List<TaskSamples> sampleLive();

    /** The limits in force in the task's cgroup now (for drift detection). */
    Resources limits(String namespace, String id);

    /**
     * The bundle directory of task {@code namespace/id} ({@code config.json}, the monitor's files, and
     * the {@code rootfs} mount point the containers service fills): the one place its path is made.
     */
    Path bundle(String namespace, String id);

    /** The task's CRI-format log file. */
    Path logPath(String namespace, String id);

    /**
     * Calls {@code listener} for every recorded exit, on the runtime's monitor thread (keep it
     * short). Returns a handle that removes the listener.
     */
    AutoCloseable onExit(Consumer<TaskExit> listener);

    /** Stops watching; tasks and their monitors keep running and are re-adopted by the next open. */
    @Override
    void close();
}
