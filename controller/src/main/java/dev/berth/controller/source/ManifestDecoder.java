package dev.berth.controller.source;

import dev.berth.crd.codec.SpecException;
import dev.berth.crd.codec.SpecText;
import java.nio.file.Path;
import java.util.List;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * Turns one manifest file into validated, typed objects. Implementations throw
 * {@link dev.berth.engine.errdefs.BerthException} (INVALID_ARGUMENT) with the file, line and field
 * path of the first problem; a file either yields all its objects or none. Thread-safe.
 */
@FunctionalInterface
public interface ManifestDecoder {
    /** Objects in document order, each with metadata.name and metadata.namespace set; the caller owns them. */
    List<CustomResource<?, ?>> decode(Path file, String text);

    /**
     * {@link #decode(Path, String)} of raw bytes: refused (INVALID_ARGUMENT, located) when over
     * {@link SpecText#MAX_BYTES} or not UTF-8, before anything is parsed.
     */
    default List<CustomResource<?, ?>> decode(Path file, byte[] bytes) {
        String text;
        try {
            text = SpecText.decode(file.toString(), bytes);
        } catch (SpecException e) {
            throw dev.berth.engine.errdefs.BerthException.invalid("%s", e.getMessage());
        }
        return decode(file, text);
    }
}
