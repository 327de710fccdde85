package dev.berth.reconcilers.restart;

import dev.berth.crd.container.RestartPolicy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * kubelet's CrashLoopBackOff as a policy object: the first exit that the restart policy answers
 * with a restart is restarted at once; from the second exit on the next start waits {@code initial}
 * (10 s), doubling after each further exit up to {@code max} (5 min); an exit after running at least
 * {@code resetAfter} (10 min) starts over as a first exit (restarted at once). The per-container state is a {@link RestartState} value the caller keeps.
 * Immutable and thread-safe; time comes from the injected clock.
 */
public final class CrashLoopBackOff {
    public static final Duration INITIAL = Duration.ofSeconds(10);
    public static final Duration MAX = Duration.ofMinutes(5);
    public static final Duration RESET_AFTER = Duration.ofMinutes(10);

    private final Clock clock;
    private final Duration initial;
    private final Duration max;
    private final Duration resetAfter;

    /** kubelet's defaults: 10 s doubling to 5 min, reset after 10 min running. */
    public CrashLoopBackOff(Clock clock) {
        this(clock, INITIAL, MAX, RESET_AFTER);
    }

    public CrashLoopBackOff(Clock clock, Duration initial, Duration max, Duration resetAfter) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("crash-loop initial backoff must be positive, got " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("crash-loop max backoff " + max + " is below the initial " + initial);
        }
        if (resetAfter.isNegative() || resetAfter.isZero()) {
            throw new IllegalArgumentException("crash-loop reset time must be positive, got " + resetAfter);
        }
        this.initial = initial;
        this.max = max;
        this.resetAfter = resetAfter;
    }

    /**
     * The state after the task that started at {@code startedAt} exited at {@code exitedAt}.
     *
     * @param previous the state before this exit, or null for the first exit
     */
    public RestartState onExit(RestartState previous, Instant startedAt, Instant exitedAt) {
        boolean ranLongEnough = startedAt != null && Duration.between(startedAt, exitedAt).compareTo(resetAfter) >= 0;
        Duration delay;
        int crashes;
        if (previous == null || ranLongEnough) {
            // as kubelet: a container that crashes once is restarted at once; backing off starts
            // with the second exit
            delay = Duration.ZERO;
            crashes = 1;
        } else {
            delay = previous.delay().isZero() ? initial : previous.delay().multipliedBy(2);
            if (delay.compareTo(max) > 0) {
                delay = max;
            }
            crashes = previous.crashes() + 1;
        }
        return new RestartState(crashes, delay, exitedAt, exitedAt.plus(delay));
    }

    /** {@link #onExit} with the exit time taken from the clock. */
    public RestartState onExit(RestartState previous, Instant startedAt) {
        return onExit(previous, startedAt, clock.instant());
    }

    /**
     * Whether a container that exited with {@code exitCode} should be started again now: empty if
     * the policy says never, else how long to wait (zero when the backoff has passed).
     */
    public Optional<Duration> restartIn(RestartPolicy policy, int exitCode, RestartState state) {
        if (!policy.restartsAfter(exitCode)) {
            return Optional.empty();
        }
        Duration left = Duration.between(clock.instant(), state.nextStartAt());
        return Optional.of(left.isNegative() ? Duration.ZERO : left);
    }

    /** Whether the backoff in {@code state} has passed. */
    public boolean mayStart(RestartState state) {
        return state == null || !clock.instant().isBefore(state.nextStartAt());
    }

    public Duration initial() {
        return initial;
    }

    public Duration max() {
        return max;
    }

    public Duration resetAfter() {
        return resetAfter;
    }
}
