package dev.berth.engine.runtime.conmon;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link ConmonRuntime#create} leaves when it fails half-way, and its removal: the remains of an
 * earlier failed create found in runc's state, and the monitor, runc container, record, exit file,
 * bundle files and cgroup of the create failing now. Thread-safe (callers hold the task's lock).
 */
final class FailedCreates {
    private static final Logger LOG = LoggerFactory.getLogger(FailedCreates.class);

    private final OciRuntimeCli cli;
    private final TaskRecords records;
    private final ExitTracker exits;
    private final Cgroups cgroups;

    FailedCreates(OciRuntimeCli cli, TaskRecords records, ExitTracker exits, Cgroups cgroups) {
        this.cli = cli;
        this.records = records;
        this.exits = exits;
        this.cgroups = cgroups;
    }

    /**
     * A container in this namespace's runc root without a Berth record: the remains of a create that
     * failed half-way (its monitor gone, runc's create finished after Berth gave up) are removed when
     * they are provably ours — our bundle directory and never started (created or stopped); anything
     * else (a running container someone made by hand) is refused with the command that removes it.
     *
     * @param cgroup the cgroup directory (relative) the new task is to use
     */
    void removeLeftoverOrRefuse(String ns, String id, Path bundle, String cgroup) {
        Optional<OciRuntimeCli.Described> d = cli.described(ns, id);
        if (d.isEmpty()) {
            return;
        }
        TaskState st = d.get().state().state();
        boolean ours = bundle.toString().equals(d.get().bundle());
        if (ours && (st == TaskState.CREATED || st == TaskState.STOPPED)) {
            LOG.warn("task {}/{}: removing the {} container left in {}'s state by an earlier failed create", ns, id,
                    st.text(), cli.binary());
            cli.delete(ns, id, true);
            removeCgroup(cgroup);
            return;
        }
        throw BerthException.alreadyExists("task %s/%s exists in %s's state (%s) without a Berth record; "
                + "remove it with: %s --root %s delete --force %s", ns, id, cli.binary(), st.text(),
                cli.binary(), cli.root(ns), id);
    }

    /** Removes everything a create that fails now made (its monitor first, so it reports nothing later). */
    void cleanup(String ns, String id, Path bundle, String cgroup) {
        // a monitor still running (its runc create outlived our wait) must not report on this id later
        long monitor = TaskFiles.readPid(bundle.resolve("conmon.pid"));
        if (monitor > 0 && TaskFiles.alive(monitor, "conmon")) {
            ProcessHandle.of(monitor).ifPresent(ProcessHandle::destroyForcibly);
        }
        try {
            cli.delete(ns, id, true);
        } catch (RuntimeException e) {
            LOG.debug("cleanup delete of {}/{}: {}", ns, id, e.getMessage());
        }
        records.delete(ns, id);
        exits.forget(ns + "/" + id);
        try {
            Files.deleteIfExists(exits.exitFile(ns, id));
            TaskFiles.removeBundle(bundle);
        } catch (IOException e) {
            LOG.debug("cleanup of bundle {}: {}", bundle, e.getMessage());
        }
        removeCgroup(cgroup);
    }

    /** Removes the cgroup directory when empty; a failure is only logged (the cgroup is not ours to force). */
    void removeCgroup(String relative) {
        try {
            cgroups.removeEmpty(relative);
        } catch (RuntimeException e) {
            LOG.debug("removing cgroup {}: {}", relative, e.getMessage());
        }
    }
}
