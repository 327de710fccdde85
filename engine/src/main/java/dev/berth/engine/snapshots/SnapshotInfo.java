package dev.berth.engine.snapshots;

import java.time.Instant;
import java.util.Map;

/**
 * What a snapshotter knows about one snapshot. Immutable.
 *
 * @param name    the key of an active or view snapshot, or the name of a committed one (a chainID
 *                for unpacked layers)
 * @param parent  the committed parent's name, or null for a snapshot with no parent
 * @param kind    active, view or committed
 * @param labels  user labels (e.g. {@code containerd.io/snapshot.ref})
 * @param created when it was prepared
 * @param updated when it was last committed or relabelled
 */
public record SnapshotInfo(String name, String parent, Kind kind, Map<String, String> labels, Instant created,
        Instant updated) {
    public SnapshotInfo {
        labels = Map.copyOf(labels);
    }
}
