package dev.berth.reconcilers.restart;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Crash-loop state of one container, kept with its status (and in SQLite, so a daemon restart
 * does not reset it): the current backoff delay, when the last exit happened and when the next
 * start is allowed. Immutable.
 *
 * @param crashes consecutive exits counted by the current backoff (1 after the first exit)
 * @param delay the backoff applied after the last exit
 * @param lastExitAt when the task last exited
 * @param nextStartAt the earliest time the task may be started again
 */
public record RestartState(int crashes, Duration delay, Instant lastExitAt, Instant nextStartAt) {
    public RestartState {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(lastExitAt, "lastExitAt");
        Objects.requireNonNull(nextStartAt, "nextStartAt");
    }
}
