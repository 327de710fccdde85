package dev.berth.reconcilers.container;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.reconcilers.probe.ProbeVerdict;
import java.util.Optional;

/**
 * What one reconcile of one Container observed and decided so far: the state the
 * {@link ContainerReconciler}'s steps share. Made per reconcile and used by one thread; not thread-safe.
 */
final class ContainerPass {
    final Container c;
    final ObjectRef ref;
    final String ns;
    final String name;
    final ContainerSpec spec;
    final Long gen;
    /** The status this reconcile returns (a copy of the last written one). */
    final ContainerStatus st;
    /** The runtime id its current task runs as ({@link RuntimeIds}): {@code name}, or a surge's id after one. */
    final String id;
    /** A surge's new revision starting next to the current task, if any ({@link Surges}). */
    Optional<dev.berth.engine.containers.ContainerInfo> surge;
    /** Whether a surge is under way this pass (the current task keeps serving; the history entry is the surge's). */
    boolean surging;
    ContainerRecord rec;
    Optional<TaskStatus> task;
    /** The Image it runs (once the dependencies are Ready). */
    dev.berth.crd.image.Image image;
    ImageTarget target;
    SpecChange change;
    /** The task is to be made as a restart (counted) rather than as a first start or drift. */
    boolean restart;
    /** The task disappeared although the record says it was started (drift). */
    boolean vanished;
    Resources limits;
    ProbeVerdict verdict;

    ContainerPass(Container c, ContainerStatus st, RuntimeIds.Owned owned, ContainerRecord rec,
            Optional<TaskStatus> task) {
        this.c = c;
        this.ref = ObjectRef.of(c);
        this.ns = ref.namespace();
        this.name = ref.name();
        this.id = owned.current();
        this.surge = owned.surge();
        this.spec = c.getSpec();
        this.gen = c.getMetadata().getGeneration();
        this.st = st;
        this.rec = rec;
        this.task = task;
    }
}
