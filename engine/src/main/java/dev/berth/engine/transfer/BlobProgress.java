package dev.berth.engine.transfer;

import dev.berth.engine.oci.Descriptor;

/**
 * A snapshot of one blob's transfer for progress displays, as {@code ctr pull} shows per layer.
 * Immutable.
 *
 * @param ref    the ingest ref ({@code layer-sha256:…}), the name a display shows
 * @param desc   the blob
 * @param offset bytes present so far (including bytes resumed from an earlier ingest)
 * @param phase  where the blob stands
 */
public record BlobProgress(String ref, Descriptor desc, long offset, Phase phase) {
    /** The states a blob passes through; WAITING → DOWNLOADING (⇄ RETRYING) → DONE, or EXISTS, or FAILED. */
    public enum Phase {
        /** Queued behind the download limit. */
        WAITING,
        /** Bytes are arriving. */
        DOWNLOADING,
        /** The connection stalled or dropped and is being resumed with Range; back to DOWNLOADING when bytes flow. */
        RETRYING,
        /** Already in the content store; nothing fetched. */
        EXISTS,
        /** Downloaded, verified and committed. */
        DONE,
        /** Gave up; the error is thrown from the pull. */
        FAILED;

        public boolean finished() {
            return this == EXISTS || this == DONE || this == FAILED;
        }
    }

    public long total() {
        return desc.size();
    }

    /** Listener for progress; called from download threads, so implementations must be thread-safe. */
    @FunctionalInterface
    public interface Listener {
        void update(BlobProgress progress);

        static Listener none() {
            return p -> {
            };
        }
    }
}
