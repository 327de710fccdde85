package dev.berth.controller;

import dev.berth.crd.ObjectRef;
import dev.berth.engine.Engine;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.container.ContainerReconciler;
import dev.berth.reconcilers.container.RuntimeIds;
import dev.berth.reconcilers.probe.NetnsDialer;
import dev.berth.reconcilers.probe.Prober;
import java.time.Clock;
import java.util.List;

/** Wires the Container reconciler, its prober and task-exit triggers into the controller. */
final class ContainerWiring {
    /**
     * Probe attempts that may run at once. An exec attempt holds its thread while its runc exec
     * runs (tens of ms idle, far more on a loaded node), so 4 threads capped 100 exec probes at
     * half their rate in bench/probes.sh; waiting threads cost no CPU.
     */
    static final int PROBE_THREADS = 16;

    private ContainerWiring() {
    }

    /** Registers the Container reconciler; the prober it runs probes on. */
    static Prober register(Controller controller, Engine engine, EventSink sink, Clock clock,
            List<AutoCloseable> closeables) {
        NetnsDialer dialer = new NetnsDialer();
        closeables.add(dialer);
        // a probe result that changes a Container's verdict is a reason to reconcile it now
        Prober prober = new Prober(engine.runtime(), dialer, sink, controller::enqueue, PROBE_THREADS);
        closeables.add(prober);
        controller.register(new ContainerReconciler(engine, controller.lookup(), sink, clock,
                ContainerReconciler.Options.DEFAULTS, prober));
        // a task exit is a reason to look at its Container now, not at the next resync (a surge's
        // new revision runs as <name>_<digest>: RuntimeIds says whose it is)
        closeables.add(engine.runtime().onExit(exit -> controller.enqueue(
                new ObjectRef("Container", exit.namespace(), RuntimeIds.owner(exit.id())))));
        return prober;
    }
}
