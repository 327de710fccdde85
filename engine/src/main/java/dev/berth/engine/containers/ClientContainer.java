package dev.berth.engine.containers;

import dev.berth.engine.errdefs.BerthException;
import java.util.Map;

/**
 * A container as a containerd client declares it (Containers/Create): the client prepared its root
 * file system snapshot itself and built its OCI spec itself; Berth records both and creates the
 * task from them on {@link Containers#createTask}. Immutable.
 *
 * @param image       the image name the client ran (informational; may be empty)
 * @param snapshotter the snapshotter holding {@code snapshotKey} (the client's; may be empty)
 * @param snapshotKey the client's active snapshot (it removes it itself; may be empty)
 * @param spec        the client's OCI runtime spec document (JSON)
 * @param labels      the container's labels
 */
public record ClientContainer(String image, String snapshotter, String snapshotKey, byte[] spec,
        Map<String, String> labels) {

    public ClientContainer {
        if (spec == null || spec.length == 0) {
            throw BerthException.invalid("container spec: required (an OCI runtime spec, as ctr sends it)");
        }
        image = blankToNull(image);
        snapshotter = blankToNull(snapshotter);
        snapshotKey = blankToNull(snapshotKey);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
