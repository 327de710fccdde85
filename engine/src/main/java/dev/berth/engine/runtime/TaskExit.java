package dev.berth.engine.runtime;

import java.time.Instant;

/** The event published once when a task's exit is recorded. Immutable. */
public record TaskExit(String namespace, String id, int exitCode, Instant exitedAt, boolean oomKilled) {
}
