package dev.berth.crd.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * Desired state of a {@link Snapshot}: exactly one of {@code image} and {@code parent}. Immutable.
 *
 * @param image name of an Image object in the same namespace whose unpacked layers are the parent
 * @param parent name of another Snapshot object in the same namespace to base this one on
 * @param kind Active (writable) or View (read-only); defaults to Active
 * @param mountPath absolute host path where Berth keeps the snapshot mounted; unmounted when absent
 * @param readOnly mount read-only (a View always is)
 * @param nodeName in Kubernetes mode, the node whose agent handles this object
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SnapshotSpec(
        @JsonPropertyDescription("name of an Image object in the same namespace") String image,
        @JsonPropertyDescription("name of a Snapshot object in the same namespace") String parent,
        SnapshotKind kind,
        @JsonPropertyDescription("absolute host path where the snapshot is kept mounted") String mountPath,
        boolean readOnly,
        String nodeName) {

    public SnapshotSpec {
        if (kind == null) {
            kind = SnapshotKind.Active;
        }
    }
}
