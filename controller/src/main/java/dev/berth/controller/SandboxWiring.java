package dev.berth.controller;

import dev.berth.controller.store.ObjectStore;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.engine.Engine;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.image.Registries;
import dev.berth.reconcilers.sandbox.SandboxReconciler;
import java.time.Clock;

/**
 * Wires the Sandbox reconciler into the controller, and wakes a sandbox's Containers whenever its
 * status changes: a rebuilt sandbox (new pause process and namespaces) must recreate them at once,
 * not at the next resync, and the status is written before the wake-up, so they see the new one.
 * A deletion request wakes them too (they stop their tasks, then the sandbox's cleanup goes on),
 * and so does the removal (they then say the sandbox does not exist).
 */
final class SandboxWiring {
    private SandboxWiring() {
    }

    static void register(Controller controller, ObjectStore store, Engine engine, Registries registries, EventSink sink,
            Clock clock) {
        controller.register(new SandboxReconciler(engine, registries, controller.lookup(), sink, clock));
        store.addListener(e -> {
            ObjectRef sb = e.object().key();
            // a deletion too: the members stop their tasks before the sandbox's cleanup removes it
            if (e.cause() == ObjectStore.Cause.APPLY || !sb.kind().equals("Sandbox")) {
                return;
            }
            for (Container c : controller.lookup().list(Container.class)) {
                if (c.getSpec() != null && sb.name().equals(c.getSpec().sandbox())
                        && sb.namespace().equals(c.getMetadata().getNamespace())) {
                    controller.enqueue(ObjectRef.of(c));
                }
            }
        });
    }
}
