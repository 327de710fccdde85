package dev.berth.engine.containers;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The one path for a container (containerd's containers store plus its client's NewContainer /
 * NewTask): a {@link ContainerConfig} in; the rootfs snapshot ({@code container/<namespace>/<id>}),
 * the bundle (the runtime's {@code <state>/tasks/<namespace>/<id>}), the OCI spec, the cgroups path
 * ({@code CgroupPaths.specPath}) and the record ({@link ContainerInfo}) out. Nothing else computes
 * those paths or writes a container record; the Container reconciler, {@code berth run}, sandboxes
 * (pause containers) and the gRPC services go through here.
 *
 * <p>Vocabulary: a <em>container</em> is the record plus its root file system; its <em>task</em> is
 * the process the runtime runs in it (at most one at a time). {@link #create} makes both (the task
 * created, not started); {@link #start} starts it; {@link #stop} ends the process and keeps the
 * container; {@link #recreateTask} replaces a stopped or vanished task in the same container (a
 * restart); {@link #teardown} removes task, rootfs snapshot, bundle and record. Each change
 * publishes containerd's event ({@code /containers/create}, {@code /tasks/create}, {@code
 * /tasks/start}, {@code /tasks/delete}, {@code /containers/update}, {@code /containers/delete}) on
 * the engine's event bus in the container's namespace; exits come as {@code /tasks/exit}.
 *
 * <p>Errors: ALREADY_EXISTS (create of an existing id), NOT_FOUND (no such container),
 * FAILED_PRECONDITION (recreating a task that still runs), INVALID_ARGUMENT (bad config). Thread-safe;
 * callers must not change one container from two threads at once (the controller's dispatcher never
 * does; {@code berth run} owns its id).
 */
public interface Containers extends ContainerExtensions {
    /** The runtime name records carry and clients see: runc's OCI semantics (Berth runs it under conmon). */
    String RUNTIME = "io.containerd.runc.v2";

    /** The snapshot key of a container's rootfs: {@code container/<namespace>/<id>}. */
    static String snapshotKey(String namespace, String id) {
        return "container/" + namespace + "/" + id;
    }

    /**
     * Records container {@code namespace/id}, prepares its root file system (unpacks the image if
     * needed, prepares and mounts the snapshot), writes its OCI spec and creates its task. The record
     * is written first, so a crash half-way leaves a container {@link #recreateTask} completes and
     * {@link #teardown} removes. On failure everything this call made is removed again.
     */
    ContainerInfo create(String namespace, String id, ContainerConfig config);

    /**
     * Replaces the task of an existing container with a new created one from {@code config} (its
     * spec; image, snapshotter and rootfs must be the record's): a stopped task is deleted first, the
     * rootfs remounted if it is not mounted. FAILED_PRECONDITION when the task is alive.
     */
    ContainerInfo recreateTask(String namespace, String id, ContainerConfig config);

    /**
     * Deletes the container's task (a live one only with {@code force}, killed first), keeping the
     * container for {@link #recreateTask}. Fine when it has none.
     */
    void deleteTask(String namespace, String id, boolean force);

    /** Starts the created task; its status after the start. */
    TaskStatus start(String namespace, String id);

    /** Stops the task (stop signal, SIGKILL after {@code grace}); the final status. Fine when not running. */
    TaskStatus stop(String namespace, String id, Duration grace);

    /**
     * Stops a live task within {@code grace}, deletes it, unmounts and removes the rootfs snapshot
     * (the record's, else {@link #snapshotKey} in any snapshotter), the bundle and the record.
     * Idempotent: fine when any part, or all, is already gone.
     */
    void teardown(String namespace, String id, Duration grace);

    /** The record of {@code namespace/id}, if any. */
    Optional<ContainerInfo> find(String namespace, String id);

    /** The records of {@code namespace} (every namespace when null), ordered by namespace and id. */
    List<ContainerInfo> list(String namespace);

    /** The container's task, if it has one. */
    Optional<TaskStatus> task(String namespace, String id);

    /** Whether the rootfs snapshot of the container still exists (drift: someone removed it). */
    boolean rootfsExists(String namespace, String id);

    /**
     * Mounts the container's rootfs snapshot again when its directory is not a mount point; true when
     * it mounted (drift repaired), false when it already was.
     */
    boolean remountRootfs(String namespace, String id);

    /**
     * The extension in which a client's container keeps the OCI spec it was created with (JSON
     * text); its presence marks a container whose snapshot and spec belong to a containerd client.
     */
    String CLIENT_SPEC = "containerd.io/spec";

    /**
     * Records a container a containerd client declared (Containers/Create): no task, no rootfs of
     * Berth's making. ALREADY_EXISTS when the id is taken (by any container, Berth's or a client's);
     * INVALID_ARGUMENT when the spec is not an OCI runtime spec.
     */
    ContainerInfo register(String namespace, String id, ClientContainer container);

    /**
     * Creates the task of a client's container (Tasks/Create): mounts {@code rootfs} (the client's
     * snapshot mounts) on the bundle's {@code rootfs}, writes the client's spec with Berth's cgroups
     * path and that root, and creates the task. FAILED_PRECONDITION for a container Berth made
     * (those get tasks from {@link #create} and {@link #recreateTask}), ALREADY_EXISTS when it has a
     * task, INVALID_ARGUMENT without mounts.
     */
    TaskStatus createTask(String namespace, String id, List<dev.berth.engine.mount.Mount> rootfs);

    /** {@link #createTask(String, String, List)} with the init's stdin chosen (a client's FIFO gets a pipe). */
    default TaskStatus createTask(String namespace, String id, List<dev.berth.engine.mount.Mount> rootfs,
            dev.berth.engine.runtime.TaskRuntime.Stdin stdin) {
        if (stdin != dev.berth.engine.runtime.TaskRuntime.Stdin.NULL) {
            throw BerthException.precondition("container %s/%s: this containers service gives tasks no stdin", namespace, id);
        }
        return createTask(namespace, id, rootfs);
    }

    /** The labels of a container, replaced (containerd's Containers/Update of {@code labels}). */
    ContainerInfo setLabels(String namespace, String id, java.util.Map<String, String> labels);
}
