package dev.berth.crd.snapshot;

/** containerd's snapshot kinds as far as a spec can ask for them. */
public enum SnapshotKind {
    /** Writable upper layer over the parent (containerd {@code Prepare}); the default. */
    Active,
    /** Read-only view of the parent (containerd {@code View}). */
    View
}
