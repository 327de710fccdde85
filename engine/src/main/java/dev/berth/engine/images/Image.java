package dev.berth.engine.images;

import dev.berth.engine.oci.Descriptor;
import java.time.Instant;
import java.util.Map;

/**
 * An image record: a name (a normalised reference such as {@code docker.io/library/busybox:latest})
 * pointing at a target descriptor (an index or a manifest in the content store), with labels and
 * timestamps. Immutable; {@code labels} is an unmodifiable copy.
 */
public record Image(String name, Descriptor target, Map<String, String> labels, Instant createdAt, Instant updatedAt) {
    public Image {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A new record to pass to {@link ImageStore#create}; the store sets the timestamps. */
    public static Image of(String name, Descriptor target) {
        return new Image(name, target, Map.of(), null, null);
    }

    public Image withLabels(Map<String, String> l) {
        return new Image(name, target, l, createdAt, updatedAt);
    }

    public Image withTarget(Descriptor t) {
        return new Image(name, t, labels, createdAt, updatedAt);
    }
}
