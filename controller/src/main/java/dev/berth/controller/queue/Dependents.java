package dev.berth.controller.queue;

import dev.berth.crd.ObjectRef;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Who waits for whom: objects whose reconcile returned {@code waitingFor(dependency)}, indexed by
 * the dependency, plus which objects last converged. Lets the dispatcher wake a Container as soon
 * as its Image converges instead of polling. Thread-safe.
 */
final class Dependents {
    private final Map<ObjectRef, Set<ObjectRef>> waiters = new HashMap<>();
    private final Set<ObjectRef> converged = new HashSet<>();

    /**
     * Records that {@code dependent} waits for {@code dependency}.
     *
     * @return true if the dependency had already converged, so the dependent should look again now
     */
    synchronized boolean waitFor(ObjectRef dependent, ObjectRef dependency) {
        waiters.computeIfAbsent(dependency, k -> new HashSet<>()).add(dependent);
        return converged.contains(dependency);
    }

    /** Records {@code key}'s outcome; on convergence returns (and forgets) its waiters. */
    synchronized Set<ObjectRef> outcome(ObjectRef key, boolean isConverged) {
        if (!isConverged) {
            converged.remove(key);
            return Set.of();
        }
        converged.add(key);
        Set<ObjectRef> w = waiters.remove(key);
        return w == null ? Set.of() : w;
    }

    /** Returns and forgets the waiters of {@code dependency} without marking it converged. */
    synchronized Set<ObjectRef> release(ObjectRef dependency) {
        Set<ObjectRef> w = waiters.remove(dependency);
        return w == null ? Set.of() : w;
    }

    /** Forgets everything about {@code key} (it was deleted). */
    synchronized void remove(ObjectRef key) {
        converged.remove(key);
        waiters.values().forEach(s -> s.remove(key));
        waiters.values().removeIf(Set::isEmpty);
    }

    synchronized int waiting() {
        return waiters.values().stream().mapToInt(Set::size).sum();
    }
}
