package dev.berth.crd.codec;

import dev.berth.crd.ObjectRef;
import io.fabric8.kubernetes.client.CustomResource;
import java.util.Map;

/**
 * One decoded document of a manifest: the object, where it came from (source, 0-based index in the
 * stream, 1-based first line) and the line of every field, so later checks can point at lines.
 * Immutable (the object inside is a mutable bean: copy before changing it).
 */
public record Document(String source, int index, int line, CustomResource<?, ?> object,
        Map<String, Integer> fieldLines) {

    public Document {
        fieldLines = Map.copyOf(fieldLines);
    }

    /** Identity of the object. */
    public ObjectRef ref() {
        return ObjectRef.of(object);
    }

    /**
     * Line of the field at {@code path} ({@code spec.env[0].name}), or of its nearest ancestor
     * that appears in the document, or of the document start.
     */
    public int lineOf(String path) {
        return Paths.lineOf(fieldLines, path, line);
    }

    /** An error at {@code path} located in this document. */
    public SpecError error(String path, String message) {
        return new SpecError(source, lineOf(path), path, message);
    }
}
