package dev.berth.engine.runtime.conmon;

import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import java.time.Duration;
import java.util.Optional;

/**
 * How {@link ConmonRuntime} tells a task's status (observing, apart from acting on tasks): the
 * recorded exit if any, else runc's own state files when they settle it, else {@code runc state}.
 * Thread-safe.
 */
final class TaskStates {
    private final TaskRecords records;
    private final ExitTracker exits;
    private final OciRuntimeCli cli;
    /** Reads runc's own state files instead of forking {@code runc state}; null for other runtimes. */
    private final RuncStateFiles stateFiles;

    TaskStates(TaskRecords records, ExitTracker exits, OciRuntimeCli cli, RuncStateFiles stateFiles) {
        this.records = records;
        this.exits = exits;
        this.cli = cli;
        this.stateFiles = stateFiles;
    }

    /** The task's status: the recorded exit if any, else the runtime's view. */
    TaskStatus status(TaskRecords.Row row) {
        if (row.exitCode() == null) {
            exits.finishIfExited(row);
            row = records.get(row.namespace(), row.id()).orElse(row);
        }
        if (row.exitCode() != null) {
            return toStatus(row, TaskState.STOPPED, 0);
        }
        Optional<OciRuntimeCli.State> st = runtimeState(row);
        if (st.isEmpty()) {
            return toStatus(row, row.monitorPid() == 0 ? TaskState.CREATED : TaskState.UNKNOWN, row.pid());
        }
        if (st.get().state() == TaskState.STOPPED) {
            // the process is gone; conmon writes the exit file a moment later
            TaskRecords.Row done = exits.waitForExit(row.namespace(), row.id(), Duration.ofSeconds(2), false);
            if (done != null) {
                return toStatus(done, TaskState.STOPPED, 0);
            }
        }
        return toStatus(row, st.get().state(), st.get().pid() > 0 ? st.get().pid() : row.pid());
    }

    /**
     * The runtime's view: from runc's files when they settle it (the daemon asks this for every live
     * task on every resync, and a fork of runc costs ~10 ms of CPU), else from {@code runc state}.
     */
    private Optional<OciRuntimeCli.State> runtimeState(TaskRecords.Row row) {
        // a task created under another BinaryName keeps that runtime's files
        if (stateFiles != null && RuncStateFiles.understands(row.runtime())) {
            Optional<OciRuntimeCli.State> fromFiles = stateFiles.state(
                    cli.root(row.namespace()).resolve(row.id()), row.cgroupPath());
            if (fromFiles.isPresent()) {
                return fromFiles;
            }
        }
        return cli.state(row.namespace(), row.id());
    }

    static TaskStatus toStatus(TaskRecords.Row r, TaskState state, long pid) {
        return new TaskStatus(r.namespace(), r.id(), state, state == TaskState.STOPPED ? 0 : pid, r.monitorPid(),
                r.exitCode(), r.exitedAt(), r.oomKilled(), r.createdAt(), r.bundle(), r.logPath(), r.cgroupPath());
    }
}
