package dev.berth.engine.content;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * One open ingest, holding its ref exclusively until {@link #close()} or {@link #commit}. Bytes are
 * appended at {@link #offset()}; a writer that resumed an earlier ingest starts at the size that
 * ingest had reached, so the caller skips that many bytes of its source (or calls
 * {@link #truncate(long) truncate(0)} when it cannot). Not thread-safe: one thread writes.
 */
public interface ContentWriter extends AutoCloseable {

    /** The ref this writer holds. */
    String ref();

    /** Bytes written so far, including bytes from a resumed ingest. */
    long offset();

    /** The digest of the bytes written so far. */
    Digest digest();

    /** Where the ingest stands now. */
    Status status();

    /** Appends all remaining bytes of {@code src}. */
    void write(ByteBuffer src);

    /** Appends {@code len} bytes of {@code b} from {@code off}. */
    default void write(byte[] b, int off, int len) {
        write(ByteBuffer.wrap(b, off, len));
    }

    /** Discards everything past {@code size} (only {@code 0} is supported), to restart the ingest. */
    void truncate(long size);

    /**
     * Verifies and commits the ingest as a blob: checks the size (when {@code size > 0}) and the
     * digest (when {@code expected} is not null), fsyncs, renames into the blob directory, records
     * {@code labels}, and releases the ref. The writer is unusable afterwards.
     *
     * @return the committed digest
     * @throws BerthException FAILED_PRECONDITION when fewer than {@code size} bytes were written (the
     *     ingest is kept, so a new writer on the ref resumes it) or when there are more bytes than
     *     {@code size} or the digest differs (the ingest is discarded: its bytes are useless);
     *     ALREADY_EXISTS when the blob is present already (the ingest is removed, the stored blob is
     *     what callers use). The ref is released in every case.
     */
    Digest commit(long size, Digest expected, Map<String, String> labels);

    /** Commits with no labels. */
    default Digest commit(long size, Digest expected) {
        return commit(size, expected, Map.of());
    }

    /**
     * Discards the ingest's bytes and releases the ref (a later writer on the ref starts from zero).
     * Idempotent; a no-op after commit.
     */
    void abort();

    /** Releases the ref and keeps the bytes for a later resume. Idempotent; a no-op after commit. */
    @Override
    void close();

    /** An {@link OutputStream} view that writes through this writer (closing it closes the writer). */
    default OutputStream asOutputStream() {
        ContentWriter w = this;
        return new OutputStream() {
            @Override
            public void write(int b) {
                w.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                w.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                w.close();
            }
        };
    }
}
