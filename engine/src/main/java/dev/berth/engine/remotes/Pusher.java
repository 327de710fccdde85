package dev.berth.engine.remotes;

import dev.berth.engine.oci.Descriptor;
import java.io.IOException;
import java.io.InputStream;

/**
 * Uploads into one repository, as containerd's pusher: a blob is first checked for with HEAD and
 * only uploaded when missing; manifests and indexes are PUT by tag or digest. Thread-safe.
 */
public interface Pusher {
    /** Opens a source stream for a blob; called again when an upload is retried. */
    @FunctionalInterface
    interface Source {
        InputStream open() throws IOException;
    }

    /** Whether the repository already holds {@code desc} (HEAD on the blob or manifest). */
    boolean exists(Descriptor desc);

    /** Uploads a blob (config or layer) with POST then PUT {@code ?digest=}. Idempotent. */
    void pushBlob(Descriptor desc, Source source);

    /** PUTs a manifest or index under {@code tagOrDigest} with its media type as Content-Type. */
    void pushManifest(Descriptor desc, byte[] body, String tagOrDigest);
}
