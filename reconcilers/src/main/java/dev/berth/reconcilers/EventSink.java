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
