package dev.berth.engine.oci;

import java.util.Set;

/** The manifest, index, config and layer media types of the OCI image spec and Docker schema 2. */
public final class MediaTypes {
    private MediaTypes() {
    }

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String OCI_LAYER_NONDIST = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    public static final String OCI_LAYER_NONDIST_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public static final String OCI_LAYER_NONDIST_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd";
    public static final String DOCKER_LAYER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    /** Schema 1 is refused, as containerd 2.x does. */
    public static final String DOCKER_MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    private static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
    private static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
    private static final Set<String> CONFIGS = Set.of(OCI_CONFIG, DOCKER_CONFIG);

    public static boolean isManifest(String mt) {
        return MANIFESTS.contains(mt);
    }

    public static boolean isIndex(String mt) {
        return INDEXES.contains(mt);
    }

    public static boolean isConfig(String mt) {
        return CONFIGS.contains(mt);
    }

    public static boolean isLayer(String mt) {
        return mt != null && (mt.startsWith("application/vnd.oci.image.layer.")
                || mt.startsWith("application/vnd.docker.image.rootfs."));
    }

    /** The compression a layer media type declares. */
    public enum Compression { NONE, GZIP, ZSTD, UNKNOWN }

    public static Compression compression(String mt) {
        if (mt == null) {
            return Compression.UNKNOWN;
        }
        if (mt.endsWith("+gzip") || mt.endsWith(".tar.gzip")) {
            return Compression.GZIP;
        }
        if (mt.endsWith("+zstd") || mt.endsWith(".tar.zstd")) {
            return Compression.ZSTD;
        }
        if (mt.equals(DOCKER_LAYER)) {
            // Docker's plain diff type is known to carry gzip in practice: sniff the bytes
            return Compression.UNKNOWN;
        }
        return mt.endsWith(".tar") ? Compression.NONE : Compression.UNKNOWN;
    }
}
