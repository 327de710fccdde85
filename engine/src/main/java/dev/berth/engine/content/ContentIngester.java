package dev.berth.engine.content;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Descriptor;

/** Opens writers for new content. Thread-safe. */
public interface ContentIngester {

    /**
     * Opens (or resumes) the ingest named {@code ref}.
     *
     * <p>{@code expected} may be null; when it names a digest that is already committed the call
     * fails with ALREADY_EXISTS so that nothing is downloaded twice. When its size is positive it is
     * recorded as the ingest's total; resuming an ingest whose recorded total differs fails with
     * FAILED_PRECONDITION. An existing ingest of that ref is resumed: its bytes are re-hashed and
     * writing continues at {@link ContentWriter#offset()}.
     *
     * @throws BerthException LOCKED when another writer holds {@code ref} (retry later, see
     *     {@link Content#openWriter}); ALREADY_EXISTS as above; INVALID_ARGUMENT for an empty ref
     */
    ContentWriter writer(String ref, Descriptor expected);

    /** Opens (or resumes) {@code ref} with nothing expected. */
    default ContentWriter writer(String ref) {
        return writer(ref, null);
    }
}
