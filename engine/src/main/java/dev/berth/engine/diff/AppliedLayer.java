package dev.berth.engine.diff;

import dev.berth.engine.oci.Digest;
import dev.berth.engine.sys.RawPath;
import java.util.List;

/**
 * The result of applying one layer. Immutable.
 *
 * @param diffId           sha256 of the uncompressed tar stream (the image config's diff_id)
 * @param uncompressedSize its length in bytes
 * @param entries          number of tar entries applied
 * @param createdParents   directories (relative to the snapshot, as bytes) the layer made only as parents of
 *                         its entries, parents first: when applied without its lower layers, these
 *                         get their attributes later through {@link ParentCopyUp#fix}
 */
public record AppliedLayer(Digest diffId, long uncompressedSize, long entries, List<RawPath> createdParents) {
    public AppliedLayer {
        createdParents = List.copyOf(createdParents);
    }
}
