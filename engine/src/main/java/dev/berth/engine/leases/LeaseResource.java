package dev.berth.engine.leases;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Digest;

/**
 * One object a lease holds, in containerd's vocabulary: type {@code content} with a digest, type
 * {@code ingests} with an ingest ref, or type {@code snapshots/<snapshotter>} with a snapshot key.
 * The object need not exist yet: holding it first and creating it afterwards is how work in progress
 * protects itself. Immutable.
 */
public record LeaseResource(String type, String id) {
    public static final String CONTENT = "content";
    public static final String INGESTS = "ingests";
    public static final String SNAPSHOTS = "snapshots/";

    public LeaseResource {
        if (type == null || !(type.equals(CONTENT) || type.equals(INGESTS)
                || (type.startsWith(SNAPSHOTS) && type.length() > SNAPSHOTS.length()))) {
            throw BerthException.invalid("lease resource type \"%s\" is unknown; use content, ingests or "
                    + "snapshots/<snapshotter>", type);
        }
        if (id == null || id.isEmpty()) {
            throw BerthException.invalid("lease resource of type %s needs an id", type);
        }
        if (type.equals(CONTENT)) {
            Digest.parse(id);
        }
    }

    public static LeaseResource content(Digest d) {
        return new LeaseResource(CONTENT, d.toString());
    }

    public static LeaseResource ingest(String ref) {
        return new LeaseResource(INGESTS, ref);
    }

    public static LeaseResource snapshot(String snapshotter, String key) {
        return new LeaseResource(SNAPSHOTS + snapshotter, key);
    }

    /** The snapshotter of a snapshot resource, else null. */
    public String snapshotter() {
        return type.startsWith(SNAPSHOTS) ? type.substring(SNAPSHOTS.length()) : null;
    }

    /** {@code type/id}, as printed by {@code berth leases ls}. */
    @Override
    public String toString() {
        return type + "/" + id;
    }
}
