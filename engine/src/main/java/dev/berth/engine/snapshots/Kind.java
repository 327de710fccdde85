package dev.berth.engine.snapshots;

import dev.berth.engine.errdefs.BerthException;
import java.util.Locale;

/**
 * The kind of a snapshot, containerd's state machine: {@link #ACTIVE} (writable, from
 * {@link Snapshotter#prepare}) becomes {@link #COMMITTED} through {@link Snapshotter#commit};
 * {@link #VIEW} (read-only, from {@link Snapshotter#view}) never changes kind. Only committed
 * snapshots can be parents.
 */
public enum Kind {
    ACTIVE, VIEW, COMMITTED;

    /** Lower-case name as stored and printed ({@code active}, {@code view}, {@code committed}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@link #label()} (any case). */
    public static Kind parse(String s) {
        for (Kind k : values()) {
            if (k.name().equalsIgnoreCase(s)) {
                return k;
            }
        }
        throw BerthException.invalid("\"%s\" is not a snapshot kind (active, view, committed)", s);
    }
}
