package dev.berth.engine.leases;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * A lease: a named hold on content, ingests and snapshots that garbage collection must keep while
 * the lease lives, as containerd's leases. A lease ends when it is deleted or when the time in its
 * label {@code containerd.io/gc.expire} (RFC 3339) has passed; a lease labelled
 * {@code containerd.io/gc.flat} keeps only the objects it names, not what their labels reference.
 * Immutable; {@code labels} is an unmodifiable copy.
 */
public record Lease(String id, Instant createdAt, Map<String, String> labels) {
    /** containerd's expiry label: an RFC 3339 time after which the lease no longer holds anything. */
    public static final String EXPIRE_LABEL = "containerd.io/gc.expire";
    /** containerd's label for leases that do not follow the label references of what they hold. */
    public static final String FLAT_LABEL = "containerd.io/gc.flat";
    /**
     * Berth's label on the leases of {@link LeaseManager#createTemporary} (value: the pid of the
     * process whose work it holds): such a lease dies with that process.
     */
    public static final String TEMPORARY_LABEL = "berth.dev/temporary";

    public Lease {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** When the lease expires, if it carries a readable expiry label. */
    public Optional<Instant> expiresAt() {
        String v = labels.get(EXPIRE_LABEL);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(java.time.OffsetDateTime.parse(v).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Whether the lease has expired at {@code now}. */
    public boolean expired(Instant now) {
        return expiresAt().map(t -> !t.isAfter(now)).orElse(false);
    }

    /** Whether the lease is flat ({@link #FLAT_LABEL}). */
    public boolean flat() {
        return labels.containsKey(FLAT_LABEL);
    }
}
