package dev.berth.engine.sandbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each running sandbox last had its CNI attachments checked by the plugins' own CHECK, and so
 * whether the next look is a full CHECK or Berth's cheap probe ({@link PodSandboxes#drift}). Kept
 * in memory for the engine's life: after a daemon start every sandbox's first look is a full CHECK.
 * Thread-safe.
 */
public final class CheckSchedule {
    private final Map<String, Instant> last = new ConcurrentHashMap<>();
    private final Clock clock;

    public CheckSchedule(Clock clock) {
        this.clock = clock;
    }

    /** Whether sandbox {@code key} is due a full CHECK with {@code interval} between them (0: always). */
    boolean due(String key, Duration interval) {
        Instant at = last.get(key);
        return at == null || !clock.instant().isBefore(at.plus(interval));
    }

    /** Sandbox {@code key} passed a full CHECK, or was just built by ADD, now. */
    void checked(String key) {
        last.put(key, clock.instant());
    }

    /** Sandbox {@code key} is gone. */
    void forget(String key) {
        last.remove(key);
    }
}
