package dev.berth.controller;

import dev.berth.crd.ObjectRef;
import dev.berth.engine.Engine;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.container.ContainerReconciler;
import java.time.Clock;
import java.util.List;

/** Wires the Container reconciler and task-exit triggers into the controller. */
final class ContainerWiring {
    private ContainerWiring() {
    }

    static void register(Controller controller, Engine engine, EventSink sink, Clock clock, List<AutoCloseable> closeables) {
        controller.register(new ContainerReconciler(engine, controller.lookup(), sink, clock));
        // a task exit is a reason to look at its Container now, not at the next resync
        closeables.add(engine.runtime().onExit(exit -> controller.enqueue(
                new ObjectRef("Container", exit.namespace(), exit.id()))));
    }
}
