package dev.berth.engine.content.local;

import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.content.Status;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;

/** A writer on one ingest directory of a {@link LocalContentStore}. Not thread-safe. */
final class LocalWriter implements ContentWriter {
    private final LocalContentStore store;
    private final String ref;
    private final IngestDir ingest;
    private final Instant startedAt;
    private final long total;
    private FileChannel channel;
    private MessageDigest hasher;
    private long offset;
    private Instant updatedAt;
    private boolean done;
    private boolean broken;

    private LocalWriter(LocalContentStore store, String ref, IngestDir ingest, Instant startedAt, long total) {
        this.store = store;
        this.ref = ref;
        this.ingest = ingest;
        this.startedAt = startedAt;
        this.total = total;
    }

    /** Opens the ingest, creating it or resuming it (re-hashing its data). The caller holds the ref lock. */
    static LocalWriter open(LocalContentStore store, String ref, IngestDir ingest, long expectedTotal) throws IOException {
        Instant now = store.clock().instant();
        if (ingest.exists()) {
            Status s = null;
            try {
                if (!ref.equals(ingest.ref())) {
                    throw BerthException.precondition("ingest directory %s belongs to ref %s, not %s",
                            ingest.dir, ingest.ref(), ref);
                }
                s = ingest.status();
            } catch (IOException | RuntimeException e) {
                if (e instanceof BerthException be) {
                    throw be;
                }
                // unreadable ingest state: start afresh, as containerd does
                ingest.delete();
            }
            if (s != null) {
                if (expectedTotal > 0 && s.total() > 0 && expectedTotal != s.total()) {
                    throw BerthException.precondition("ingest %s was started for %d bytes but %d are expected now; "
                            + "abort it (berth content abort %s) and write again", ref, s.total(), expectedTotal, ref);
                }
                if (expectedTotal > 0 && s.total() == 0) {
                    ingest.setTotal(expectedTotal);
                }
                LocalWriter w = new LocalWriter(store, ref, ingest, s.startedAt(), expectedTotal > 0 ? expectedTotal : s.total());
                w.hasher = Digest.newSha256();
                try (InputStream in = Files.newInputStream(ingest.data())) {
                    byte[] buf = new byte[1 << 20];
                    int r;
                    while ((r = in.read(buf)) > 0) {
                        w.hasher.update(buf, 0, r);
                        w.offset += r;
                    }
                }
                w.channel = FileChannel.open(ingest.data(), StandardOpenOption.WRITE);
                w.channel.position(w.offset);
                w.updatedAt = s.updatedAt();
                return w;
            }
        }
        ingest.create(ref, now, expectedTotal);
        LocalWriter w = new LocalWriter(store, ref, ingest, now, expectedTotal);
        w.hasher = Digest.newSha256();
        w.channel = FileChannel.open(ingest.data(), StandardOpenOption.WRITE);
        w.updatedAt = now;
        return w;
    }

    @Override
    public String ref() {
        return ref;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public Digest digest() {
        try {
            return Digest.of("sha256", ((MessageDigest) hasher.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
        }
    }

    @Override
    public Status status() {
        return new Status(ref, offset, total, startedAt, updatedAt);
    }

    @Override
    public void write(ByteBuffer src) {
        ensureOpen();
        ByteBuffer h = src.duplicate();
        try {
            while (src.hasRemaining()) {
                offset += channel.write(src);
            }
        } catch (IOException e) {
            // bytes on disk and the running hash may now differ: only a fresh writer (which re-hashes) may go on
            broken = true;
            throw BerthException.unavailable("writing ingest %s (%s): %s; close this writer and open a new one to resume",
                    ref, ingest.dir, e.getMessage());
        }
        hasher.update(h);
        updatedAt = store.clock().instant();
    }

    @Override
    public void truncate(long size) {
        ensureOpen();
        if (size != 0) {
            throw BerthException.invalid("ingest %s can only be truncated to 0, not %d", ref, size);
        }
        try {
            channel.truncate(0);
            channel.position(0);
        } catch (IOException e) {
            throw BerthException.unavailable("truncating ingest %s: %s", ref, e.getMessage());
        }
        hasher = Digest.newSha256();
        offset = 0;
    }

    @Override
    public Digest commit(long size, Digest expected, Map<String, String> labels) {
        ensureOpen();
        BlobIndex.validateLabels(labels == null ? Map.of() : labels);
        try {
            channel.force(true);
            channel.close();
        } catch (IOException e) {
            throw BerthException.unavailable("syncing ingest %s: %s", ref, e.getMessage());
        }
        done = true;
        try {
            if (size > 0 && offset < size) {
                throw BerthException.precondition("commit of ingest %s: got %d of %d bytes (unexpected end of data; "
                        + "the ingest is kept and a new writer on the ref resumes it)", ref, offset, size);
            }
            if (size > 0 && offset > size) {
                discard();
                throw BerthException.precondition("commit of ingest %s: got %d bytes but %d were expected; "
                        + "the ingest was discarded", ref, offset, size);
            }
            Digest actual = digest();
            if (expected != null && !expected.algorithm().equals(actual.algorithm())) {
                actual = rehash(expected);
            }
            if (expected != null && !expected.equals(actual)) {
                discard();
                throw BerthException.precondition("commit of ingest %s: content has digest %s but %s was expected; "
                        + "the bytes were discarded and nothing was committed", ref, actual, expected);
            }
            store.commitIngest(ingest, actual, offset, labels == null ? Map.of() : labels);
            return actual;
        } finally {
            store.unlock(ref);
        }
    }

    private Digest rehash(Digest expected) {
        MessageDigest md = expected.newHasher();
        try (InputStream in = Files.newInputStream(ingest.data())) {
            byte[] buf = new byte[1 << 20];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
        } catch (IOException e) {
            throw BerthException.unavailable("re-hashing ingest %s: %s", ref, e.getMessage());
        }
        return Digest.of(expected.algorithm(), md.digest());
    }

    private void discard() {
        try {
            ingest.delete();
        } catch (IOException e) {
            // the stale ingest is removed by cleanupStale later
        }
    }

    @Override
    public void abort() {
        if (done) {
            return;
        }
        done = true;
        try {
            channel.close();
        } catch (IOException e) {
            // the directory goes anyway
        }
        try {
            ingest.delete();
        } catch (IOException e) {
            throw BerthException.unavailable("removing ingest %s: %s", ref, e.getMessage());
        } finally {
            store.unlock(ref);
        }
    }

    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        try {
            channel.close();
            ingest.touch(updatedAt);
        } catch (IOException e) {
            // progress is in data; a missing updatedat only affects stale cleanup
        } finally {
            store.unlock(ref);
        }
    }

    private void ensureOpen() {
        if (broken) {
            throw BerthException.precondition("writer for ingest %s failed a write; close it and open a new one to resume", ref);
        }
        if (done) {
            throw BerthException.precondition("writer for ingest %s is closed or committed; open a new one", ref);
        }
    }
}
