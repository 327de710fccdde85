package dev.berth.engine.images.archive;

import dev.berth.engine.remotes.Reference;
import java.util.function.UnaryOperator;

/**
 * How {@link ImageImporter} names what it imports. {@code name}: the image name for an archive
 * entry that carries none, or the repository for entries that carry only a tag (OCI
 * {@code org.opencontainers.image.ref.name}); may be null. {@code normalizer}: turns names found in
 * the archive ({@code busybox:latest}) into the store's canonical form
 * ({@code docker.io/library/busybox:latest}); by default the remotes' {@link Reference} parser, so a
 * name that is not a valid reference fails the import with INVALID_ARGUMENT. Immutable.
 */
public record ImportOptions(String name, UnaryOperator<String> normalizer) {
    public ImportOptions {
        normalizer = normalizer == null ? n -> Reference.parse(n).toString() : normalizer;
    }

    public static ImportOptions defaults() {
        return new ImportOptions(null, null);
    }

    public ImportOptions withName(String n) {
        return new ImportOptions(n, normalizer);
    }

    public ImportOptions withNormalizer(UnaryOperator<String> n) {
        return new ImportOptions(name, n);
    }
}
