package dev.berth.reconcilers;

import dev.berth.crd.status.BerthStatus;
import dev.berth.crd.status.Condition;
import dev.berth.crd.status.Conditions;
import java.time.Clock;
import java.util.Objects;

/**
 * How far an object is from its spec, in the one vocabulary every reconciler reports in, and the
 * three conditions it stands for (Kubernetes' {@code Ready}, {@code Progressing}, {@code Degraded}):
 * <table>
 *   <caption>Readiness and conditions</caption>
 *   <tr><th>readiness</th><th>Ready</th><th>Progressing</th><th>Degraded</th><th>meaning</th></tr>
 *   <tr><td>{@link #ready}</td><td>True</td><td>False</td><td>False</td><td>the spec is in force</td></tr>
 *   <tr><td>{@link #progressing}</td><td>False</td><td>True</td><td>False</td><td>on its way (starting, a probe pending)</td></tr>
 *   <tr><td>{@link #waiting}</td><td>False</td><td>True</td><td>False</td><td>blocked on another object that is not Ready</td></tr>
 *   <tr><td>{@link #retrying}</td><td>False</td><td>True</td><td>True</td><td>failed, tried again by itself soon</td></tr>
 *   <tr><td>{@link #degraded}</td><td>False</td><td>False</td><td>True</td><td>failed; the message says what to change</td></tr>
 *   <tr><td>{@link #finished}</td><td>False</td><td>False</td><td>False</td><td>ran to its end and stays there, as the spec asks</td></tr>
 * </table>
 * All three conditions carry the same CamelCase reason and human message (Degraded's message only
 * while it is True) and the generation they were computed for. Immutable and thread-safe.
 *
 * @param state which of the six
 * @param reason CamelCase, e.g. {@code WaitingForImage}
 * @param message what and why, for a person
 */
public record Readiness(State state, String reason, String message) {

    /** The six states, each with its three condition values. */
    public enum State {
        READY(true, false, false),
        PROGRESSING(false, true, false),
        WAITING(false, true, false),
        RETRYING(false, true, true),
        DEGRADED(false, false, true),
        FINISHED(false, false, false);

        private final boolean ready;
        private final boolean progressing;
        private final boolean degraded;

        State(boolean ready, boolean progressing, boolean degraded) {
            this.ready = ready;
            this.progressing = progressing;
            this.degraded = degraded;
        }
    }

    public Readiness {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
    }

    /** The spec is in force. */
    public static Readiness ready(String reason, String message) {
        return new Readiness(State.READY, reason, message);
    }

    /** On its way to ready by itself (a task starting, a probe yet to answer). */
    public static Readiness progressing(String reason, String message) {
        return new Readiness(State.PROGRESSING, reason, message);
    }

    /** Blocked on another object (pair with {@link Result#waitingFor}). */
    public static Readiness waiting(String reason, String message) {
        return new Readiness(State.WAITING, reason, message);
    }

    /** Failed, and tried again by itself (pair with {@link Result#requeueAfter} or a failed {@link Outcome}). */
    public static Readiness retrying(String reason, String message) {
        return new Readiness(State.RETRYING, reason, message);
    }

    /** Failed (a crash loop backing off, a conflict, an exit with an error); the message names the fix. */
    public static Readiness degraded(String reason, String message) {
        return new Readiness(State.DEGRADED, reason, message);
    }

    /** Ran to its end and stays there as the spec asks (a completed task kept down by its restart policy). */
    public static Readiness finished(String reason, String message) {
        return new Readiness(State.FINISHED, reason, message);
    }

    public boolean isReady() {
        return state.ready;
    }

    public boolean isProgressing() {
        return state.progressing;
    }

    public boolean isDegraded() {
        return state.degraded;
    }

    /**
     * Sets the Ready, Progressing and Degraded conditions of {@code status} (edited in place) with
     * {@link Conditions#set} semantics, so an unchanged readiness leaves the status equal.
     *
     * @return {@code status}
     */
    public <S extends BerthStatus> S applyTo(S status, Long generation, Clock clock) {
        status.setCondition(condition(Condition.READY, state.ready, message, generation), clock);
        status.setCondition(condition(Condition.PROGRESSING, state.progressing, message, generation), clock);
        status.setCondition(condition(Condition.DEGRADED, state.degraded, state.degraded ? message : null,
                generation), clock);
        return status;
    }

    private Condition condition(String type, boolean value, String text, Long generation) {
        return new Condition(type, value ? Condition.TRUE : Condition.FALSE, reason, text, null, generation);
    }

    /**
     * What the controller writes when a reconcile fails: {@code Degraded=True} with the error, and
     * {@code Ready=False} only when no Ready condition exists yet (the last known readiness stays).
     */
    public static void markFailed(BerthStatus status, String reason, String message, Clock clock) {
        status.setCondition(Condition.of(Condition.DEGRADED, true, reason, message), clock);
        if (status.condition(Condition.READY).isEmpty()) {
            status.setCondition(Condition.of(Condition.READY, false, reason, message), clock);
        }
    }
}
