package dev.berth.engine.content;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Helpers over the content interfaces, as containerd's {@code content/helpers.go}: open a writer
 * with retry while its ref is locked, copy a stream into a writer honouring a resumed offset, and
 * write a whole blob in one call. Stateless and thread-safe.
 */
public final class Content {
    private static final int BUFFER = 1 << 20;

    private Content() {
    }

    /**
     * Opens a writer, retrying while another writer holds {@code ref}: a random sleep in [0, n) ms
     * with n doubling from 16 to 2048, until {@code wait} has passed (then the LOCKED error is
     * thrown). ALREADY_EXISTS and other errors pass through at once.
     */
    public static ContentWriter openWriter(ContentIngester ingester, String ref, Descriptor expected, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        int n = 16;
        while (true) {
            try {
                return ingester.writer(ref, expected);
            } catch (BerthException e) {
                if (e.category() != ErrorCategory.LOCKED || System.nanoTime() >= deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(n));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new BerthException(ErrorCategory.DEADLINE_EXCEEDED,
                        "interrupted while waiting for ingest ref " + ref);
            }
            n = Math.min(n * 2, 2048);
        }
    }

    /**
     * Copies {@code source} into {@code w} and commits it as {@code desc}. When the writer resumed at
     * an offset, that many bytes of {@code source} are skipped first ({@code source} must start at
     * byte 0 of the blob). A source that ends before {@code desc.size()} is FAILED_PRECONDITION
     * ("unexpected end of data") with the ingest kept for a resume. ALREADY_EXISTS at commit is
     * treated as success.
     *
     * @return the committed digest
     */
    public static Digest copy(ContentWriter w, InputStream source, Descriptor desc, Map<String, String> labels) {
        try {
            long skip = w.offset();
            if (desc.size() > 0 && skip > desc.size()) {
                w.truncate(0);
                skip = 0;
            }
            while (skip > 0) {
                long s = source.skip(skip);
                if (s <= 0) {
                    if (source.read() < 0) {
                        throw BerthException.precondition("source of %s ended at byte %d, before the resumed offset %d",
                                desc.digest(), w.offset() - skip, w.offset());
                    }
                    s = 1;
                }
                skip -= s;
            }
            copyRest(w, source);
        } catch (IOException e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE,
                    "copying " + desc.digest() + " into ingest " + w.ref() + ": " + e.getMessage(), e);
        }
        if (desc.size() > 0 && w.offset() < desc.size()) {
            throw BerthException.precondition("unexpected end of data for %s: got %d of %d bytes (ingest %s kept for resume)",
                    desc.digest(), w.offset(), desc.size(), w.ref());
        }
        try {
            return w.commit(desc.size(), desc.digest(), labels);
        } catch (BerthException e) {
            if (e.category() == ErrorCategory.ALREADY_EXISTS) {
                return desc.digest();
            }
            throw e;
        }
    }

    /** Appends everything left in {@code source} to {@code w}. */
    public static void copyRest(ContentWriter w, InputStream source) throws IOException {
        byte[] buf = new byte[BUFFER];
        int r;
        while ((r = source.read(buf)) >= 0) {
            if (r > 0) {
                w.write(ByteBuffer.wrap(buf, 0, r));
            }
        }
    }

    /**
     * Writes a whole blob from {@code source} under {@code ref}: opens the writer (waiting up to a
     * minute for a locked ref), copies, verifies and commits. A blob already present is success
     * without reading {@code source}; its labels are then merged in.
     *
     * @return the blob's digest
     */
    public static Digest writeBlob(ContentStore store, String ref, InputStream source, Descriptor desc,
            Map<String, String> labels) {
        if (desc == null || desc.digest() == null) {
            throw BerthException.invalid("writeBlob of ref %s needs a descriptor with the expected digest", ref);
        }
        ContentWriter w;
        try {
            w = openWriter(store, ref, desc, Duration.ofMinutes(1));
        } catch (BerthException e) {
            if (e.category() == ErrorCategory.ALREADY_EXISTS) {
                addLabels(store, desc.digest(), labels);
                return desc.digest();
            }
            throw e;
        }
        try (w) {
            Digest d = copy(w, source, desc, labels);
            addLabels(store, d, labels);
            return d;
        }
    }

    /** Writes in-memory bytes as a blob of {@code mediaType}; returns its descriptor. */
    public static Descriptor writeBytes(ContentStore store, String mediaType, byte[] data, Map<String, String> labels) {
        Descriptor desc = Descriptor.of(mediaType, Digest.sha256(data), data.length);
        writeBlob(store, "bytes-" + desc.digest(), new java.io.ByteArrayInputStream(data), desc, labels);
        return desc;
    }

    private static void addLabels(ContentManager m, Digest d, Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return;
        }
        java.util.Set<String> paths = new java.util.HashSet<>();
        labels.keySet().forEach(k -> paths.add("labels." + k));
        m.update(d, labels, paths);
    }
}
