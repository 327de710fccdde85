package dev.berth.engine.content;

import dev.berth.engine.errdefs.BerthException;
import java.time.Duration;
import java.util.List;

/** Inspection and cleanup of ingests in progress. Thread-safe. */
public interface IngestManager {

    /** All ingests, committed-or-not, that exist on disk, ordered by ref. */
    List<Status> statuses();

    /**
     * The state of the ingest {@code ref}.
     *
     * @throws BerthException NOT_FOUND when there is no such ingest
     */
    Status status(String ref);

    /**
     * Deletes the ingest {@code ref} and its bytes.
     *
     * @throws BerthException NOT_FOUND when there is no such ingest; LOCKED while a writer holds it
     */
    void abort(String ref);

    /**
     * Aborts ingests not held by a writer whose last update is older than {@code maxAge} (containerd
     * expires unleased ingests after 24 h). Returns the refs removed.
     */
    List<String> cleanupStale(Duration maxAge);
}
