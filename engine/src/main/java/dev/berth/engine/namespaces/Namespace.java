package dev.berth.engine.namespaces;

import java.time.Instant;
import java.util.Map;

/** A namespace record: its name, its labels (containerd's defaults keys among them) and when it was made. */
public record Namespace(String name, Map<String, String> labels, Instant createdAt) {
    public Namespace {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
