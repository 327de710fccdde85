package dev.berth.engine.remotes;

import dev.berth.engine.oci.Descriptor;
import java.io.InputStream;

/**
 * Reads blobs, manifests and indexes of one repository by descriptor. Thread-safe; streams are not.
 */
public interface Fetcher {
    /**
     * Opens the content of {@code desc} starting at byte {@code offset} (0 for all of it). The stream
     * returns exactly {@code desc.size() - offset} bytes or throws: a connection that drops or stalls
     * is re-opened with an HTTP Range request at the current position, and when that is no longer
     * possible the IOException says how many bytes arrived, whether it timed out, and how often it
     * retried and resumed. The bytes are not verified here; the caller hashes them (the content
     * store does on commit). Closing the stream releases the connection.
     */
    default InputStream fetch(Descriptor desc, long offset) {
        return fetch(desc, offset, why -> {
        });
    }

    /**
     * {@link #fetch(Descriptor, long)}, telling {@code retrying} (from any thread) each time the
     * transfer stalled or dropped and is being resumed, with why, so a progress display can say so.
     */
    InputStream fetch(Descriptor desc, long offset, java.util.function.Consumer<String> retrying);

    /** Reads a whole manifest or index into memory, refusing any over the manifest size limit. */
    byte[] fetchManifest(Descriptor desc);
}
