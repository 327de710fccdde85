package dev.berth.reconcilers.container;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.engine.runtime.TaskRuntime;
import java.util.List;
import java.util.Optional;

/**
 * The Containers of a sandbox, and the rule for when they must stop. Kubelet stops a pod's
 * containers before it stops and removes the pod sandbox (CRI's StopPodSandbox / RemovePodSandbox
 * end every container in it first): their network, IPC and UTS namespaces are the sandbox's and
 * die with it. Berth's Containers are objects of their own, so each member stops its own task
 * (one reconcile per object at a time) once {@link #mustStop} says so, and the Sandbox's cleanup
 * waits for {@link #running} to be empty before it removes the pause container, the CNI
 * attachments and the netns. The Container objects stay, waiting for the sandbox to come back.
 * Stateless and thread-safe.
 */
public final class SandboxMembers {
    private SandboxMembers() {
    }

    /**
     * Why a member of {@code sandbox} (empty: it does not exist) must not keep a task running, or
     * empty when it may: the sandbox is gone, being deleted, or has no pause process (a conflict or
     * failure removed it), so the namespaces the member joined are gone or going.
     */
    public static Optional<String> mustStop(ObjectRef sandbox, Optional<Sandbox> sb) {
        String name = "Sandbox " + sandbox.namespace() + "/" + sandbox.name();
        if (sb.isEmpty()) {
            return Optional.of(name + " does not exist");
        }
        if (sb.get().getMetadata().getDeletionTimestamp() != null) {
            return Optional.of(name + " is being deleted");
        }
        if (sb.get().getStatus() != null && sb.get().getStatus().getPid() == null
                && sb.get().getStatus().getPhase() != null) {
            return Optional.of(name + " has no pause process ("
                    + sb.get().getStatus().condition("Ready").map(c -> c.reason()).orElse("NotReady") + ")");
        }
        return Optional.empty();
    }

    /** The names of the Containers in {@code sandbox} whose task is still alive, sorted. */
    public static List<String> running(ObjectRef sandbox, List<Container> containers, TaskRuntime runtime) {
        return containers.stream()
                .filter(c -> c.getSpec() != null && sandbox.name().equals(c.getSpec().sandbox())
                        && sandbox.namespace().equals(c.getMetadata().getNamespace()))
                .map(c -> c.getMetadata().getName())
                .filter(n -> runtime.find(sandbox.namespace(), n).map(t -> t.state().alive()).orElse(false))
                .sorted().toList();
    }
}
