package dev.berth.reconcilers;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.status.BerthStatus;
import io.fabric8.kubernetes.client.CustomResource;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What one reconcile hands back (as java-operator-sdk's {@code UpdateControl}): the status it wants
 * written and its {@link Result}, or the status and the failure to retry with backoff. The caller
 * writes the status (the object store skips an equal one), so a reconciler never edits the object
 * it was given. Immutable (the status is the reconcile's own instance, no longer edited once
 * returned).
 *
 * @param status the whole status to write; never null
 * @param result what the reconcile achieved; null when {@code failure} is set
 * @param failure why the reconcile failed (the status is written, then the attempt is retried with
 *     backoff as if the reconcile had thrown it); null when it did not
 * @param <S> the kind's status type
 */
public record Outcome<S extends BerthStatus>(S status, Result result, Exception failure) {

    public Outcome {
        Objects.requireNonNull(status, "status");
        if ((result == null) == (failure == null)) {
            throw new IllegalArgumentException("an outcome has a result or a failure, not both or neither");
        }
    }

    /** {@code status}, and the spec is in force ({@link Result#converged()}). */
    public static <S extends BerthStatus> Outcome<S> converged(S status) {
        return new Outcome<>(status, Result.converged(), null);
    }

    /** {@code status}, and look again after {@code delay} ({@link Result#requeueAfter}). */
    public static <S extends BerthStatus> Outcome<S> requeueAfter(S status, Duration delay) {
        return new Outcome<>(status, Result.requeueAfter(delay), null);
    }

    /** {@code status}, blocked until {@code dependency} converges ({@link Result#waitingFor}). */
    public static <S extends BerthStatus> Outcome<S> waitingFor(S status, ObjectRef dependency) {
        return new Outcome<>(status, Result.waitingFor(dependency), null);
    }

    /** {@code status} with any result. */
    public static <S extends BerthStatus> Outcome<S> of(S status, Result result) {
        return new Outcome<>(status, Objects.requireNonNull(result, "result"), null);
    }

    /** {@code status} is written, then the reconcile counts as failed with {@code failure}. */
    public static <S extends BerthStatus> Outcome<S> failed(S status, Exception failure) {
        return new Outcome<>(status, null, Objects.requireNonNull(failure, "failure"));
    }

    /**
     * The status a reconcile starts from: a copy of the object's {@code current} one (its own lists;
     * the values in them are immutable), or {@code fresh} when it has none yet.
     */
    @SuppressWarnings("unchecked")
    public static <S extends BerthStatus> S startFrom(S current, Supplier<S> fresh) {
        return current == null ? fresh.get() : (S) current.copy();
    }

    /**
     * Does what the controller does with this outcome, for callers that hold the object themselves
     * (tests): sets {@code object}'s status to this one, then returns the result or throws the failure.
     */
    public Result writeTo(CustomResource<?, ? super S> object) throws Exception {
        object.setStatus(status);
        if (failure != null) {
            throw failure;
        }
        return result;
    }
}
