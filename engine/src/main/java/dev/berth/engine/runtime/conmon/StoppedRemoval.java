package dev.berth.engine.runtime.conmon;

import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.TaskState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * What {@code runc delete} does for a container that has stopped, done without forking runc (a fork
 * of runc costs 10-50 ms of a {@code ctr run --rm}): runc's own state files say it stopped, its
 * cgroup is empty and removed, then runc's state directory {@code <root>/<id>} goes. Only for runc
 * with the cgroupfs driver (with systemd, runc delete also stops the scope unit), and only when the
 * spec has no poststop hooks and no Intel RDT (runc runs or removes those on delete); in every other
 * case, and whenever a step cannot be done, the caller runs {@code runc delete} as before.
 * Stateless; thread-safe.
 */
final class StoppedRemoval {
    private static final Logger LOG = LoggerFactory.getLogger(StoppedRemoval.class);

    private final RuncStateFiles stateFiles;
    private final Cgroups cgroups;
    private final boolean systemdCgroup;

    /** @param stateFiles null when the runtime is not runc (nothing is ever removed here then) */
    StoppedRemoval(RuncStateFiles stateFiles, Cgroups cgroups, boolean systemdCgroup) {
        this.stateFiles = stateFiles;
        this.cgroups = cgroups;
        this.systemdCgroup = systemdCgroup;
    }

    /**
     * Removes stopped container {@code containerDir} (runc's {@code <root>/<id>}) of the task
     * recorded in {@code row}; false when it left everything for {@code runc delete}.
     */
    boolean remove(TaskRecords.Row row, Path containerDir) {
        if (stateFiles == null || systemdCgroup || !RuncStateFiles.understands(row.runtime())
                || !Files.isDirectory(containerDir)) {
            return false;
        }
        Optional<OciRuntimeCli.State> st = stateFiles.state(containerDir, row.cgroupPath());
        if (st.isEmpty() || st.get().state() != TaskState.STOPPED || needsRunc(Path.of(row.bundle()))) {
            return false;
        }
        try {
            // fails while any process is left in it (a container sharing the host's pid namespace)
            cgroups.removeEmpty(row.cgroupPath());
        } catch (RuntimeException e) {
            LOG.debug("task {}: cgroup {} not removable ({}); runc delete does it", row.key(), row.cgroupPath(),
                    e.getMessage());
            return false;
        }
        try (var files = Files.walk(containerDir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.debug("task {}: removing {}: {}; runc delete does it", row.key(), containerDir, e.getMessage());
            return false;
        }
    }

    /** Whether runc has work of its own at delete: poststop hooks to run, an Intel RDT group to remove. */
    private static boolean needsRunc(Path bundle) {
        try {
            JsonNode spec = OciJson.MAPPER.readTree(Files.readAllBytes(bundle.resolve("config.json")));
            return !spec.path("hooks").path("poststop").isEmpty() || spec.path("linux").has("intelRdt");
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }
}
