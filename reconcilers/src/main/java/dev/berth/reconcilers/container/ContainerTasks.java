package dev.berth.reconcilers.container;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.engine.Engine;
import dev.berth.engine.containers.ContainerConfig;
import dev.berth.engine.containers.Containers;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sandbox.PodSandboxes;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.sandbox.SandboxFiles;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The node side of one Container, through the engine's containers service: creating its container
 * and task (the reconciler's state record goes into the container record before the task exists)
 * and tearing both down again. Each method is idempotent. Thread-safe across containers.
 */
final class ContainerTasks {
    private final Engine engine;
    private final ObjectLookup lookup;
    private final EventSink events;
    private final Clock clock;
    private final Duration stopGrace;
    private final ContainerStates states;

    ContainerTasks(Engine engine, ObjectLookup lookup, EventSink events, Clock clock, Duration stopGrace,
            ContainerStates states) {
        this.engine = engine;
        this.lookup = lookup;
        this.events = events;
        this.clock = clock;
        this.stopGrace = stopGrace;
        this.states = states;
    }

    /** Stops {@code ns/name} within the grace period; the final status. */
    TaskStatus stop(String ns, String name) {
        return engine.containers().stop(ns, name, stopGrace);
    }

    /** Makes and starts runtime container {@code name} of Container {@code ref} (recorded first, see below). */
    ContainerRecord create(ObjectRef ref, String name, ContainerSpec spec, ContainerRecord rec, ImageTarget t,
            boolean restart) throws Exception {
        return create(ref, name, spec, rec, t, restart, java.util.Map.of());
    }

    /** {@link #create} with {@code labels} on the new record (a surge's new revision is labelled). */
    ContainerRecord create(ObjectRef ref, String name, ContainerSpec spec, ContainerRecord rec, ImageTarget t,
            boolean restart, java.util.Map<String, String> labels) throws Exception {
        String ns = ref.namespace();
        Containers containers = engine.containers();
        checkHostPaths(ref, spec);
        var runtimeSpec = withSandbox(ref, spec, RuntimeSpecs.toRuntime(spec));
        // recorded before the task exists, so a crash after create never loses what was applied
        // (not started yet: a task missing later counts as drift only once it had been started)
        rec = rec.applied(spec, t.digest(), t.imageName(), t.snapshotter()).notStarted()
                .inSandbox(sandboxInstance(ref, spec).orElse(null));
        ContainerConfig.Builder config = ContainerConfig.builder().image(t.imageName()).snapshotter(t.snapshotter())
                .platform(t.platform()).spec(runtimeSpec).extension(ContainerStates.EXTENSION, states.encode(rec));
        labels.forEach(config::label);
        if (containers.find(ns, name).isPresent()) {
            containers.recreateTask(ns, name, config.build());
        } else {
            containers.create(ns, name, config.build());
        }
        events.normal(ref, "Created", "created task " + ns + "/" + name + " from " + t.imageName() + "@" + t.digest());
        try {
            containers.start(ns, name);
        } catch (RuntimeException e) {
            containers.deleteTask(ns, name, true);
            throw e;
        }
        rec = rec.started(clock.instant());
        states.put(ns, name, rec);
        if (restart) {
            events.normal(ref, "Restarted", "restarted after exit code " + rec.exitCode() + " (restart "
                    + rec.restartCount() + ")");
        }
        events.normal(ref, "Started", "started task " + ns + "/" + name);
        return rec;
    }

    /** Refuses bind sources the host path policy refuses (before anything is made); warns on the others. */
    private void checkHostPaths(ObjectRef ref, ContainerSpec spec) {
        if (spec.mounts() == null) {
            return;
        }
        for (int i = 0; i < spec.mounts().size(); i++) {
            ContainerSpec.Mount m = spec.mounts().get(i);
            if (m.type() == ContainerSpec.MountType.Bind && m.source() != null) {
                engine.hostPaths().checkBindSource("spec.mounts[" + i + "].source", m.source())
                        .ifPresent(w -> events.warning(ref, "HostPathWarning", w));
            }
        }
    }

    /** The instance of the Sandbox {@code spec} names, as it is now; empty when not in a sandbox. */
    Optional<String> sandboxInstance(ObjectRef ref, ContainerSpec spec) {
        if (spec.sandbox() == null) {
            return Optional.empty();
        }
        return lookup.get(ref.sibling("Sandbox", spec.sandbox()), Sandbox.class).filter(sb -> sb.getStatus() != null)
                .map(sb -> ContainerRecord.sandboxInstance(sb.getStatus().getPid(), sb.getStatus().getNetnsPath()));
    }

    /**
     * Joins a Ready sandbox's namespaces (network, ipc, uts; pid with the sandbox's
     * shareProcessNamespace) through its pause process, and mounts the sandbox's /etc/hosts,
     * /etc/hostname and /etc/resolv.conf read-only over the image's.
     */
    dev.berth.engine.runtime.spec.ContainerSpec withSandbox(ObjectRef ref, ContainerSpec spec,
            dev.berth.engine.runtime.spec.ContainerSpec rs) {
        if (spec.sandbox() == null) {
            return rs;
        }
        Sandbox sb = lookup.get(ref.sibling("Sandbox", spec.sandbox()), Sandbox.class).orElseThrow(() ->
                BerthException.notFound("Sandbox %s/%s of container %s disappeared", ref.namespace(), spec.sandbox(), ref));
        boolean hostNetwork = sb.getSpec() != null && sb.getSpec().network() == Sandbox.NetworkMode.Host;
        var b = PodSandboxes.join(rs.toBuilder(), hostNetwork, sb.getStatus().getPid(), sb.getStatus().getNetnsPath(),
                sb.getSpec() != null && sb.getSpec().shareProcessNamespace(),
                SandboxFiles.paths(engine.state(), ref.namespace(), spec.sandbox()));
        return b.build();
    }

    /**
     * Stops and deletes the task of a member whose sandbox is gone, being deleted or without a pause
     * process ({@link SandboxMembers#mustStop}); the container and its record stay, to be recreated
     * in the sandbox when it is back. The task as it is afterwards.
     */
    Optional<TaskStatus> leaveGoneSandbox(ObjectRef ref, String id, ContainerSpec spec, Optional<TaskStatus> task) {
        if (spec.sandbox() == null || task.isEmpty()) {
            return task;
        }
        ObjectRef sbRef = ref.sibling("Sandbox", spec.sandbox());
        Optional<String> why = SandboxMembers.mustStop(sbRef, lookup.get(sbRef, Sandbox.class));
        if (why.isEmpty()) {
            return task;
        }
        if (task.get().state().alive()) {
            TaskStatus s = stop(ref.namespace(), id);
            events.normal(ref, "Killed", why.get() + ": stopped task " + ref.namespace() + "/" + id
                    + " (exit code " + s.exitCode() + "); it starts again when the sandbox is back");
        }
        engine.containers().deleteTask(ref.namespace(), id, true);
        return Optional.empty();
    }

    /** Stops and deletes the task, then unmounts and removes the rootfs snapshot and the record. Idempotent. */
    void teardown(ObjectRef ref, String name, Optional<TaskStatus> task) {
        String ns = ref.namespace();
        if (task.isPresent() && task.get().state().alive()) {
            TaskStatus s = stop(ns, name);
            events.normal(ref, "Killed", "stopped task " + ns + "/" + name + ", exit code " + s.exitCode());
        }
        engine.containers().teardown(ns, name, stopGrace);
    }
}
