package dev.berth.reconcilers;

import java.util.Locale;

/**
 * What a reconciler found changed on the node behind its back and put back: the {@code what} of
 * a {@code DriftRepaired} event and of {@code berth_drift_repairs_total{kind,what}}. Immutable.
 */
public enum Drift {
    /** A task (a container's process, a sandbox's pause process) vanished or stopped outside Berth. */
    TASK,
    /** A mount went away: a container's rootfs, a snapshot's mount point. */
    MOUNT,
    /** A snapshot was removed or lost its directory (a container's rootfs, an image's layer, a Snapshot object). */
    SNAPSHOT,
    /** A cgroup limit was changed outside Berth. */
    LIMITS,
    /** A sandbox's network: its namespace, its interfaces or addresses (CNI CHECK failed). */
    NETWORK,
    /** Image content (a blob) went missing from the content store. */
    CONTENT;

    /** The label value: the name in lower case ({@code task}, {@code limits}, ...). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
