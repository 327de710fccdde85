package dev.berth.engine.containers;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.rootfs.ContainerRootfs;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import dev.berth.engine.runtime.spec.SpecGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Containers} over the engine's parts: records in {@link ContainerRecords}, root file systems
 * through {@link ContainerRootfs}, specs from {@link SpecGenerator}, tasks in the {@link TaskRuntime}
 * (which owns the bundle directory's location). Opened by {@code Engine.containers()}. Thread-safe.
 */
public final class ContainerService implements Containers {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerService.class);

    private final ContainerRecords records;
    private final TaskRuntime runtime;
    private final ContainerRootfs rootfs;
    private final Supplier<String> defaultSnapshotter;
    private final Supplier<List<String>> snapshotterNames;
    private final EventBus events;
    private final Clock clock;

    private ContainerService(ContainerRecords records, TaskRuntime runtime, ContainerRootfs rootfs,
            Supplier<String> defaultSnapshotter, Supplier<List<String>> snapshotterNames, EventBus events, Clock clock) {
        this.records = records;
        this.runtime = runtime;
        this.rootfs = rootfs;
        this.defaultSnapshotter = defaultSnapshotter;
        this.snapshotterNames = snapshotterNames;
        this.events = events;
        this.clock = clock;
    }

    /**
     * Opens the service: the container records (importing an older Berth's rows once, see
     * {@link LegacyImport}) over an opened runtime.
     */
    public static ContainerService open(MetadataStore md, TaskRuntime runtime, ContainerRootfs rootfs,
            Supplier<String> defaultSnapshotter, Supplier<List<String>> snapshotterNames, EventBus events, Clock clock) {
        ContainerRecords records = ContainerRecords.open(md, clock, events, runtime::bundle, defaultSnapshotter.get());
        return new ContainerService(records, runtime, rootfs, defaultSnapshotter, snapshotterNames, events, clock);
    }

    private static PlatformMatcher matcher(String platform) {
        return platform == null ? Platforms.defaultMatcher() : Platforms.only(Platforms.parse(platform));
    }

    @Override
    public ContainerInfo create(String ns, String id, ContainerConfig config) {
        Objects.requireNonNull(config, "config");
        if (runtime.find(ns, id).isPresent()) {
            throw BerthException.alreadyExists("task %s/%s already exists without a container record; delete it "
                    + "first (berth containers rm -f %s)", ns, id, id);
        }
        Path bundle = runtime.bundle(ns, id);
        boolean image = config.image() != null;
        var now = clock.instant();
        ContainerInfo info = new ContainerInfo(ns, id, config.image(),
                image ? (config.snapshotter() != null ? config.snapshotter() : defaultSnapshotter.get()) : null,
                image ? Containers.snapshotKey(ns, id) : null, image ? bundle.resolve("rootfs") : config.rootfs(),
                bundle, runtime.cgroupPaths().specPath(ns, id), RUNTIME, config.platform(), config.labels(),
                config.extensions(), now, now);
        records.insert(info);
        events.publishIn(ns, EngineEvent.CONTAINER_CREATE, Map.of("id", id, "image", image ? config.image() : "",
                "runtime", RUNTIME), config.labels());
        try {
            newTask(info, config);
        } catch (RuntimeException e) {
            try {
                teardown(ns, id, Duration.ZERO);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return info;
    }

    /** Prepares the rootfs (image containers), writes the spec and creates the task. */
    private void newTask(ContainerInfo info, ContainerConfig config) {
        ImageConfig imageConfig = null;
        if (info.image() != null && info.snapshotKey() != null) {
            imageConfig = rootfs.prepare(info.image(), info.snapshotter(), matcher(info.platform()), info.snapshotKey(),
                    info.rootfs()).image().config();
        } else if (!Files.isDirectory(info.rootfs())) {
            throw BerthException.invalid("rootfs %s of container %s/%s is not a directory", info.rootfs(),
                    info.namespace(), info.id());
        }
        RuntimeSpec oci = SpecGenerator.generate(info.id(), config.spec(), imageConfig, info.rootfs(), info.cgroupsPath());
        TaskStatus t = runtime.create(info.namespace(), info.id(), oci);
        events.publishIn(info.namespace(), EngineEvent.TASK_CREATE, Map.of("container_id", info.id(),
                "bundle", info.bundle().toString(), "pid", Long.toString(t.pid())), Map.of());
    }

    @Override
    public ContainerInfo recreateTask(String ns, String id, ContainerConfig config) {
        ContainerInfo info = require(ns, id);
        Optional<TaskStatus> task = runtime.find(ns, id);
        if (task.isPresent()) {
            if (task.get().state().alive()) {
                throw BerthException.precondition("container %s/%s still has a %s task; stop it first", ns, id,
                        task.get().state().text());
            }
            deleteTask(task.get(), false);
        }
        String cgroups = runtime.cgroupPaths().specPath(ns, id);
        Map<String, String> ext = new HashMap<>(info.extensions());
        ext.putAll(config.extensions());
        if (!cgroups.equals(info.cgroupsPath()) || !ext.equals(info.extensions())) {
            info = new ContainerInfo(ns, id, info.image(), info.snapshotter(), info.snapshotKey(), info.rootfs(),
                    info.bundle(), cgroups, info.runtime(), info.platform(), info.labels(), ext, info.createdAt(),
                    clock.instant());
            records.update(info);
        }
        newTask(info, config);
        return info;
    }

    private ContainerInfo require(String ns, String id) {
        return records.get(ns, id).orElseThrow(() -> BerthException.notFound("container %s/%s does not exist", ns, id));
    }

    @Override
    public void deleteTask(String ns, String id, boolean force) {
        Optional<TaskStatus> t = runtime.find(ns, id);
        if (t.isPresent()) {
            deleteTask(t.get(), force);
        }
    }

    private void deleteTask(TaskStatus t, boolean force) {
        runtime.delete(t.namespace(), t.id(), force);
        Optional<ContainerInfo> info = records.get(t.namespace(), t.id());
        if (clientOwned(info)) {
            // as containerd's shim: the task's end unmounts the client's snapshot, which the client then removes
            dev.berth.engine.mount.Unmount.unmountAll(info.get().rootfs());
        }
        Map<String, String> f = new HashMap<>(Map.of("container_id", t.id(), "id", t.id(), "pid",
                Long.toString(t.pid()), "exit_status", Integer.toString(t.exitCode() == null ? 0 : t.exitCode())));
        if (t.exitedAt() != null) {
            f.put("exited_at", t.exitedAt().toString());
        }
        events.publishIn(t.namespace(), EngineEvent.TASK_DELETE, f, Map.of());
    }

    @Override
    public TaskStatus start(String ns, String id) {
        TaskStatus t = runtime.start(ns, id);
        events.publishIn(ns, EngineEvent.TASK_START, Map.of("container_id", id, "pid", Long.toString(t.pid())),
                Map.of());
        return t;
    }

    @Override
    public TaskStatus stop(String ns, String id, Duration grace) {
        return runtime.stop(ns, id, grace);
    }

    @Override
    public void teardown(String ns, String id, Duration grace) {
        Optional<TaskStatus> task = runtime.find(ns, id);
        if (task.isPresent()) {
            TaskStatus t = task.get();
            if (t.state().alive()) {
                t = runtime.stop(ns, id, grace);
            }
            deleteTask(t, true);
        }
        Optional<ContainerInfo> info = records.get(ns, id);
        Path bundle = info.map(ContainerInfo::bundle).orElseGet(() -> runtime.bundle(ns, id));
        if (clientOwned(info)) {
            // the snapshot is the client's to remove (ctr does, unless --keep-snapshot)
            dev.berth.engine.mount.Unmount.unmountAll(info.get().rootfs());
            try {
                Files.deleteIfExists(info.get().rootfs());
            } catch (IOException e) {
                throw BerthException.unavailable("cannot remove the rootfs directory %s: %s", info.get().rootfs(),
                        e.getMessage());
            }
        } else if (info.isPresent() && info.get().snapshotKey() != null) {
            rootfs.remove(info.get().snapshotter(), info.get().snapshotKey(), info.get().rootfs());
        }
        // a snapshot under the standard key in another snapshotter (a record lost, or a snapshotter change)
        for (String s : snapshotterNames.get()) {
            if (rootfs.exists(s, Containers.snapshotKey(ns, id))) {
                rootfs.remove(s, Containers.snapshotKey(ns, id), bundle.resolve("rootfs"));
            }
        }
        removeIfEmpty(bundle);
        if (records.delete(ns, id)) {
            events.publishIn(ns, EngineEvent.CONTAINER_DELETE, Map.of("id", id), Map.of());
        }
    }

    private static void removeIfEmpty(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                try (var s = Files.list(dir)) {
                    if (s.findAny().isPresent()) {
                        return;
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cannot remove bundle directory %s: %s", dir, e.getMessage());
        }
    }

    @Override
    public Optional<ContainerInfo> find(String ns, String id) {
        return records.get(ns, id);
    }

    @Override
    public List<ContainerInfo> list(String ns) {
        return records.list(ns);
    }

    @Override
    public Optional<TaskStatus> task(String ns, String id) {
        return runtime.find(ns, id);
    }

    @Override
    public boolean rootfsExists(String ns, String id) {
        Optional<ContainerInfo> info = records.get(ns, id);
        if (info.isPresent()) {
            return info.get().snapshotKey() == null ? Files.isDirectory(info.get().rootfs())
                    : rootfs.exists(info.get().snapshotter(), info.get().snapshotKey());
        }
        for (String s : snapshotterNames.get()) {
            if (rootfs.exists(s, Containers.snapshotKey(ns, id))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean remountRootfs(String ns, String id) {
        ContainerInfo info = require(ns, id);
        if (info.snapshotKey() == null || info.image() == null || ContainerRootfs.isMounted(info.rootfs())) {
            return false;
        }
        rootfs.prepare(info.image(), info.snapshotter(), matcher(info.platform()), info.snapshotKey(), info.rootfs());
        LOG.info("container {}/{}: mounted its rootfs {} again", ns, id, info.rootfs());
        return true;
    }

    @Override
    public Optional<String> extension(String ns, String id, String name) {
        return records.extension(ns, id, name);
    }

    @Override
    public void setExtension(String ns, String id, String name, String value) {
        records.setExtension(ns, id, name, value);
    }

    @Override
    public ContainerInfo register(String ns, String id, ClientContainer c) {
        if (records.get(ns, id).isPresent() || runtime.find(ns, id).isPresent()) {
            throw BerthException.alreadyExists("container \"%s\" in namespace %s: already exists", id, ns);
        }
        RuntimeSpec.ofDocument(c.spec(), "the spec of container " + id);
        Path bundle = runtime.bundle(ns, id);
        Map<String, String> ext = Map.of(CLIENT_SPEC, new String(c.spec(), java.nio.charset.StandardCharsets.UTF_8));
        var now = clock.instant();
        ContainerInfo info = new ContainerInfo(ns, id, c.image(), c.snapshotter(), c.snapshotKey(), bundle.resolve("rootfs"),
                bundle, runtime.cgroupPaths().specPath(ns, id), RUNTIME, null, c.labels(), ext, now, now);
        records.insert(info);
        events.publishIn(ns, EngineEvent.CONTAINER_CREATE, Map.of("id", id, "image", c.image() == null ? "" : c.image(),
                "runtime", RUNTIME), c.labels());
        return info;
    }

    @Override
    public TaskStatus createTask(String ns, String id, List<dev.berth.engine.mount.Mount> mounts) {
        return createTask(ns, id, mounts, dev.berth.engine.runtime.TaskRuntime.Stdin.NULL);
    }

    @Override
    public TaskStatus createTask(String ns, String id, List<dev.berth.engine.mount.Mount> mounts,
            dev.berth.engine.runtime.TaskRuntime.Stdin stdin) {
        ContainerInfo info = require(ns, id);
        String doc = info.extensions().get(CLIENT_SPEC);
        if (doc == null) {
            throw BerthException.precondition("container %s/%s is Berth's (a Container object or berth run): its "
                    + "tasks are created by Berth", ns, id);
        }
        if (runtime.find(ns, id).isPresent()) {
            throw BerthException.alreadyExists("task %s/%s already exists; delete it first", ns, id);
        }
        if (mounts.isEmpty()) {
            throw BerthException.invalid("rootfs: the mounts of the container's snapshot are required (Snapshots/Mounts)");
        }
        Path target = info.rootfs();
        boolean mounted = false;
        try {
            // a directory made just now is no mount point: no need to read the mount table
            boolean made = !Files.exists(target);
            Files.createDirectories(target);
            if (made || !ContainerRootfs.isMounted(target)) {
                dev.berth.engine.mount.Mount.mountAll(mounts, target);
                mounted = true;
            }
            var spec = (tools.jackson.databind.node.ObjectNode) dev.berth.engine.oci.OciJson.MAPPER.readTree(doc);
            // the runtime runs the bundle's rootfs (mounted just now) in Berth's cgroup layout
            boolean readonly = spec.path("root").path("readonly").asBoolean(false);
            spec.putObject("root").put("path", "rootfs").put("readonly", readonly);
            spec.withObjectProperty("linux").put("cgroupsPath", info.cgroupsPath());
            TaskStatus t = runtime.create(ns, id, RuntimeSpec.ofDocument(
                    dev.berth.engine.oci.OciJson.MAPPER.writeValueAsBytes(spec), "the spec of container " + id), stdin);
            events.publishIn(ns, EngineEvent.TASK_CREATE, Map.of("container_id", id, "bundle", info.bundle().toString(),
                    "pid", Long.toString(t.pid())), Map.of());
            return t;
        } catch (IOException e) {
            if (mounted) {
                dev.berth.engine.mount.Unmount.unmountAll(target);
            }
            throw BerthException.unavailable("cannot prepare the rootfs %s of %s/%s: %s", target, ns, id, e.getMessage());
        } catch (RuntimeException e) {
            if (mounted) {
                dev.berth.engine.mount.Unmount.unmountAll(target);
            }
            throw e;
        }
    }

    @Override
    public ContainerInfo setLabels(String ns, String id, Map<String, String> labels) {
        ContainerInfo info = require(ns, id);
        ContainerInfo changed = info.withLabels(labels, clock.instant());
        records.update(changed);
        events.publishIn(ns, EngineEvent.CONTAINER_UPDATE, Map.of("id", id, "image", info.image() == null ? "" : info.image(),
                "snapshot_key", info.snapshotKey() == null ? "" : info.snapshotKey()), labels);
        return changed;
    }

    /** A client's container: its rootfs is the client's snapshot, which Berth only mounts and unmounts. */
    private static boolean clientOwned(Optional<ContainerInfo> info) {
        return info.isPresent() && info.get().extensions().containsKey(CLIENT_SPEC);
    }
}
