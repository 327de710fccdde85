package dev.berth.engine.images.archive;

import dev.berth.engine.images.PlatformMatcher;

/**
 * How {@link ImageExporter} writes. {@code format}: an OCI image layout (as {@code ctr images
 * export}; with {@code dockerManifest} it also carries a {@code manifest.json} so {@code docker
 * load} reads it) or a {@code docker save} archive (uncompressed {@code layer.tar}s). {@code
 * platforms}: which platforms of an index to include; null means every platform present in the
 * store for OCI, and the host platform for the docker format (which holds one manifest per image).
 * Immutable.
 */
public record ExportOptions(Format format, PlatformMatcher platforms, boolean dockerManifest) {
    /** The archive format. */
    public enum Format { OCI, DOCKER }

    public static ExportOptions oci() {
        return new ExportOptions(Format.OCI, null, true);
    }

    public static ExportOptions docker() {
        return new ExportOptions(Format.DOCKER, null, true);
    }

    public ExportOptions withPlatforms(PlatformMatcher m) {
        return new ExportOptions(format, m, dockerManifest);
    }
}
