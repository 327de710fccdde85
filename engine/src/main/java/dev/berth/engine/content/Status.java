package dev.berth.engine.content;

import java.time.Instant;

/**
 * The state of one ingest in progress: its ref, how many bytes are written ({@code offset}), the
 * expected total when known ({@code total}, else 0), and when it started and last changed.
 * Immutable.
 */
public record Status(String ref, long offset, long total, Instant startedAt, Instant updatedAt) {
}
