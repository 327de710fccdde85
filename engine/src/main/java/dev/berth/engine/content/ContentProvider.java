package dev.berth.engine.content;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import java.io.IOException;
import java.io.InputStream;

/**
 * Read access to committed blobs. Implementations are thread-safe; every returned stream belongs to
 * its caller, who must close it.
 */
public interface ContentProvider {

    /**
     * Opens the blob {@code digest} for reading from byte {@code offset} (0 for the start; a ranged
     * read for resumed copies and random access).
     *
     * @throws BerthException NOT_FOUND when the blob is not in the store, INVALID_ARGUMENT when
     *     {@code offset} is negative or past the end
     */
    InputStream open(Digest digest, long offset);

    /** Opens the blob from its start. */
    default InputStream open(Digest digest) {
        return open(digest, 0);
    }

    /**
     * Reads a whole small blob (manifest, index, config) into memory, checking that it has the
     * descriptor's size and refusing anything larger than {@code maxBytes}.
     *
     * @throws BerthException NOT_FOUND when absent; FAILED_PRECONDITION when the size differs or
     *     exceeds {@code maxBytes}
     */
    default byte[] readAll(Descriptor desc, long maxBytes) {
        if (desc.size() > maxBytes) {
            throw BerthException.precondition("blob %s is %d bytes, more than the %d allowed for a %s",
                    desc.digest(), desc.size(), maxBytes, desc.mediaType());
        }
        try (InputStream in = open(desc.digest())) {
            byte[] data = in.readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 8) + 1);
            if (data.length != desc.size()) {
                throw BerthException.precondition("blob %s has %d bytes but its descriptor says %d",
                        desc.digest(), data.length, desc.size());
            }
            return data;
        } catch (IOException e) {
            throw BerthException.internal("reading blob " + desc.digest() + ": " + e.getMessage(), e);
        }
    }
}
