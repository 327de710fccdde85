package dev.berth.engine.runtime;

import java.util.Locale;

/**
 * The life of a task (a container's init process), as containerd's runc shim keeps it:
 * {@code CREATED →(start) RUNNING ⇄(pause/resume) PAUSED; any →(exit) STOPPED →(delete) gone}.
 * {@link #UNKNOWN} is reported when the runtime cannot tell (its state call failed).
 */
public enum TaskState {
    UNKNOWN, CREATED, RUNNING, PAUSED, STOPPED;

    /** The lower-case name runc and the CLI print. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses runc's status strings ("created", "running", "pausing", "paused", "stopped"). */
    public static TaskState parse(String s) {
        return switch (s == null ? "" : s.toLowerCase(Locale.ROOT)) {
            case "created" -> CREATED;
            case "running" -> RUNNING;
            case "paused", "pausing" -> PAUSED;
            case "stopped" -> STOPPED;
            default -> UNKNOWN;
        };
    }

    /** Whether processes of the task exist (a kill may reach them). */
    public boolean alive() {
        return this == CREATED || this == RUNNING || this == PAUSED;
    }
}
