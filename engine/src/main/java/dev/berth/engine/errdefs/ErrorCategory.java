package dev.berth.engine.errdefs;

/**
 * What kind of failure an {@link BerthException} is. The category, not the message, decides what a
 * caller does next: a reconciler retries {@link #UNAVAILABLE} with backoff, stalls on
 * {@link #INVALID_ARGUMENT} until the spec changes, and treats {@link #ALREADY_EXISTS} on a create as
 * success. The constants follow containerd's errdefs.
 */
public enum ErrorCategory {
    /** The named object does not exist. */
    NOT_FOUND,
    /** An object with that identity exists already. */
    ALREADY_EXISTS,
    /** The input is malformed; retrying the same input cannot succeed. */
    INVALID_ARGUMENT,
    /** The system is not in the state the operation needs (e.g. verification failed, wrong kind). */
    FAILED_PRECONDITION,
    /** Held by someone else (an ingest ref, the root lock); retry later. */
    LOCKED,
    /** A dependency (registry, runtime binary, kernel feature) is unreachable or missing; retry later. */
    UNAVAILABLE,
    /** The caller may not do this (401/403, missing privileges). */
    PERMISSION_DENIED,
    /** The operation ran out of time. */
    DEADLINE_EXCEEDED,
    /** Not supported by this build, kernel or configuration. */
    NOT_IMPLEMENTED,
    /** A bug or an unexpected system failure. */
    INTERNAL;

    /** Whether a retry of the same request may succeed without any change to the input. */
    public boolean retryable() {
        return this == UNAVAILABLE || this == LOCKED || this == DEADLINE_EXCEEDED || this == INTERNAL;
    }
}
