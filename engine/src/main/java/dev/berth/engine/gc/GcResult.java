package dev.berth.engine.gc;

import java.time.Duration;
import java.util.List;

/**
 * What one collection removed, or would remove in a dry run: each object with its size, the
 * removals that failed (they do not stop the others), and how long the collection took. Immutable.
 */
public record GcResult(boolean dryRun, List<Removed> removed, List<String> failures, Duration took) {
    public GcResult {
        removed = List.copyOf(removed);
        failures = List.copyOf(failures);
    }

    /** Kinds of removed object. */
    public enum Kind { IMAGE, LEASE, SNAPSHOT, CONTENT, INGEST }

    /**
     * One removed object. {@code snapshotter} is set for snapshots only; {@code size} is bytes (a
     * blob's size, a snapshot's own usage, an ingest's bytes so far; 0 for records).
     */
    public record Removed(Kind kind, String snapshotter, String name, long size) {
        @Override
        public String toString() {
            return kind.name().toLowerCase(java.util.Locale.ROOT) + " "
                    + (snapshotter == null ? "" : snapshotter + "/") + name;
        }
    }

    /** Bytes freed (or that would be freed). */
    public long bytes() {
        return removed.stream().mapToLong(Removed::size).sum();
    }

    /** The removed objects of one kind. */
    public List<Removed> of(Kind kind) {
        return removed.stream().filter(r -> r.kind() == kind).toList();
    }
}
