package dev.berth.engine.images;

import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.Platform;
import java.util.List;

/**
 * One image resolved for one platform from the content store: the record's target, the chosen
 * manifest and its config, the layers with their diff IDs and chain IDs (bottom first). What unpack
 * and the runtime need. Immutable.
 */
public record ResolvedImage(
        Descriptor target,
        Descriptor manifestDescriptor,
        Manifest manifest,
        Descriptor configDescriptor,
        ImageConfig config,
        Platform platform,
        List<Digest> diffIds,
        List<Digest> chainIds) {

    public ResolvedImage {
        diffIds = List.copyOf(diffIds);
        chainIds = List.copyOf(chainIds);
    }

    /** The layer descriptors, bottom first. */
    public List<Descriptor> layers() {
        return manifest.layers() == null ? List.of() : manifest.layers();
    }

    /** The chain ID of the whole layer stack: the name of the image's rootfs snapshot (null with no layers). */
    public Digest topChainId() {
        return chainIds.isEmpty() ? null : chainIds.get(chainIds.size() - 1);
    }

    /**
     * The bytes this image takes in the content store for this platform: manifest, config and
     * (compressed) layers, plus the index when the target is one. Layers listed twice count once.
     */
    public long size() {
        long s = manifestDescriptor.size() + configDescriptor.size();
        if (!target.digest().equals(manifestDescriptor.digest())) {
            s += target.size();
        }
        java.util.Set<Digest> seen = new java.util.HashSet<>();
        for (Descriptor l : layers()) {
            if (seen.add(l.digest())) {
                s += l.size();
            }
        }
        return s;
    }
}
