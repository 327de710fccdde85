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
        return decode(file, text(file, bytes));
    }

    /**
     * As {@link #decode(Path, byte[])}, with the line where each object is declared (its
     * {@code metadata.name}), for errors that point at two declarations; 0 where this decoder does
     * not know lines.
     */
    default List<Declared> declare(Path file, byte[] bytes) {
        return decode(file, bytes).stream().map(o -> new Declared(o, 0)).toList();
    }

    /** UTF-8 text of a manifest file, refused (INVALID_ARGUMENT, located) when too large or not UTF-8. */
    static String text(Path file, byte[] bytes) {
        try {
            return SpecText.decode(file.toString(), bytes);
        } catch (SpecException e) {
            throw dev.berth.engine.errdefs.BerthException.invalid("%s", e.getMessage());
        }
    }

    /** An object of a manifest file and the 1-based line that declares it (0: unknown). */
    record Declared(CustomResource<?, ?> object, int line) {
        /** {@code file:line}, or just the file when the line is unknown. */
        public String where(Path file) {
            return line > 0 ? file + ":" + line : file.toString();
        }
    }
}
