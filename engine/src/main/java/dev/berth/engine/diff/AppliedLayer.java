package dev.berth.engine.diff;

import dev.berth.engine.oci.Digest;

/**
 * The result of applying one layer. Immutable.
 *
 * @param diffId           sha256 of the uncompressed tar stream (the image config's diff_id)
 * @param uncompressedSize its length in bytes
 * @param entries          number of tar entries applied
 */
public record AppliedLayer(Digest diffId, long uncompressedSize, long entries) {
}
