package dev.berth.reconcilers;

import dev.berth.crd.ObjectRef;

/**
 * Where reconcilers report what they did to the node, as Kubernetes events: {@code Normal} for
 * steps (Pulled, Unpacked, Created, Started, Mounted, Updated), {@code Warning} for trouble
 * (Failed, BackOff, OOMKilled, DriftRepaired). Reasons are CamelCase; messages say what and why.
 * Implementations are thread-safe and never block for long.
 */
public interface EventSink {
    void normal(ObjectRef object, String reason, String message);

    void warning(ObjectRef object, String reason, String message);

    /**
     * A {@code DriftRepaired} warning: {@code what} changed on the node outside Berth and the
     * reconciler put it back (or is rebuilding it). Sinks that count drift by what drifted override
     * this; the default records the warning only.
     */
    default void drift(ObjectRef object, Drift what, String message) {
        warning(object, DRIFT_REPAIRED, message);
    }

    /** The reason of every drift event. */
    String DRIFT_REPAIRED = "DriftRepaired";

    /** A sink that drops everything (tests that do not look at events). */
    EventSink NONE = new EventSink() {
        @Override
        public void normal(ObjectRef object, String reason, String message) {
        }

        @Override
        public void warning(ObjectRef object, String reason, String message) {
        }
    };
}
