package dev.berth.engine.content;

import dev.berth.engine.oci.Digest;
import java.time.Instant;
import java.util.Map;

/**
 * What the store knows about one committed blob: its digest and size, when it was committed and
 * last changed (labels), and its labels. Immutable; {@code labels} is an unmodifiable copy.
 */
public record Info(Digest digest, long size, Instant createdAt, Instant updatedAt, Map<String, String> labels) {
    public Info {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
