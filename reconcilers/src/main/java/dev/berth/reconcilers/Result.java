package dev.berth.reconcilers;

import dev.berth.crd.ObjectRef;
import java.time.Duration;
import java.util.Objects;

/**
 * What a reconcile achieved, as an immutable value. A failed reconcile throws instead; the work
 * queue then retries it with per-object exponential backoff (errors whose category says retrying
 * cannot help are not retried until the object changes). The three outcomes:
 * <ul>
 *   <li>{@link #converged()}: the node matches the spec; nothing to do until the object, something
 *       it depends on, or the node (resync) changes. Resets the object's backoff.</li>
 *   <li>{@link #requeueAfter(Duration)}: progress was made or something is expected to change by
 *       itself (a task starting, a crash-loop backoff running out); look again after the delay.
 *       Resets the backoff: this is not a failure.</li>
 *   <li>{@link #waitingFor(ObjectRef)}: blocked on another object that is not Ready (a Container on
 *       its Image). The reconciler has already said so in a condition (e.g. {@code Ready=False,
 *       reason=WaitingForImage}); the dispatcher reconciles this object again when the dependency
 *       converges, with no error loop and no backoff.</li>
 * </ul>
 */
public sealed interface Result permits Result.Converged, Result.RequeueAfter, Result.WaitingFor {

    /** The spec is in force. */
    static Result converged() {
        return Converged.INSTANCE;
    }

    /** Look again after {@code delay} (must be positive). */
    static Result requeueAfter(Duration delay) {
        return new RequeueAfter(delay);
    }

    /** Blocked until {@code dependency} converges. */
    static Result waitingFor(ObjectRef dependency) {
        return new WaitingFor(dependency);
    }

    /** See {@link Result#converged()}. */
    record Converged() implements Result {
        static final Converged INSTANCE = new Converged();

        @Override
        public String toString() {
            return "Converged";
        }
    }

    /** See {@link Result#requeueAfter(Duration)}. */
    record RequeueAfter(Duration delay) implements Result {
        public RequeueAfter {
            Objects.requireNonNull(delay, "delay");
            if (delay.isNegative() || delay.isZero()) {
                throw new IllegalArgumentException("requeueAfter needs a positive delay, got " + delay);
            }
        }

        @Override
        public String toString() {
            return "RequeueAfter(" + delay + ")";
        }
    }

    /** See {@link Result#waitingFor(ObjectRef)}. */
    record WaitingFor(ObjectRef dependency) implements Result {
        public WaitingFor {
            Objects.requireNonNull(dependency, "dependency");
        }

        @Override
        public String toString() {
            return "WaitingFor(" + dependency + ")";
        }
    }
}
