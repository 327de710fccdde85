package dev.berth.engine.transfer;

import dev.berth.engine.content.Content;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;

/**
 * Downloads one blob into the content store under containerd's ingest ref ({@code layer-<digest>},
 * {@code config-<digest>}, …): a blob already stored is skipped, an ingest left by an earlier,
 * interrupted pull is resumed at its offset with a Range request, and the bytes are verified (size and
 * digest) by the store's commit. A digest mismatch aborts the ingest so nothing unverified stays;
 * other failures keep it for the next pull to resume. Thread-safe (stateless per call).
 */
final class BlobDownloader {
    private static final int BUFFER = 256 * 1024;
    private static final long PROGRESS_STEP = 256 * 1024;
    /** A slow body is written (and shown) at least this often, not only when the buffer is full. */
    private static final long FLUSH_NANOS = Duration.ofSeconds(1).toNanos();

    /** Opens the blob's bytes from an offset, telling {@code retrying} when the transfer stalls or drops. */
    @FunctionalInterface
    interface Source {
        InputStream open(long offset, java.util.function.Consumer<String> retrying);
    }

    private final ContentStore store;
    private final BlobProgress.Listener listener;

    BlobDownloader(ContentStore store, BlobProgress.Listener listener) {
        this.store = store;
        this.listener = listener;
    }

    /** containerd's ref key for a descriptor. */
    static String refKey(Descriptor d) {
        String mt = d.mediaType();
        String kind = MediaTypes.isManifest(mt) ? "manifest" : MediaTypes.isIndex(mt) ? "index"
                : MediaTypes.isLayer(mt) ? "layer" : MediaTypes.isConfig(mt) ? "config" : "unknown";
        return kind + "-" + d.digest();
    }

    /** Whether the blob is stored already (then only its labels are merged). */
    boolean skipIfPresent(Descriptor desc, Map<String, String> labels) {
        if (!store.exists(desc.digest())) {
            return false;
        }
        mergeLabels(desc.digest(), labels);
        listener.update(new BlobProgress(refKey(desc), desc, desc.size(), BlobProgress.Phase.EXISTS));
        return true;
    }

    /** Reports {@code desc} as queued. */
    void listenerWaiting(Descriptor desc) {
        listener.update(new BlobProgress(refKey(desc), desc, 0, BlobProgress.Phase.WAITING));
    }

    /** Downloads and commits {@code desc} with {@code labels}; returns normally once the blob is stored. */
    void download(Source source, Descriptor desc, Map<String, String> labels, String what) {
        String ref = refKey(desc);
        if (skipIfPresent(desc, labels)) {
            return;
        }
        for (int attempt = 0; ; attempt++) {
            ContentWriter w;
            try {
                w = Content.openWriter(store, ref, desc, Duration.ofMinutes(5));
            } catch (BerthException e) {
                if (e.category() == ErrorCategory.ALREADY_EXISTS) {
                    mergeLabels(desc.digest(), labels);
                    listener.update(new BlobProgress(ref, desc, desc.size(), BlobProgress.Phase.EXISTS));
                    return;
                }
                throw e;
            }
            long resumedFrom;
            try (w) {
                resumedFrom = w.offset();
                if (resumedFrom > desc.size()) {
                    w.truncate(0);
                    resumedFrom = 0;
                }
                if (w.offset() < desc.size()) {
                    fill(source, desc, w, ref, what);
                }
                try {
                    w.commit(desc.size(), desc.digest(), labels);
                } catch (BerthException e) {
                    if (e.category() == ErrorCategory.ALREADY_EXISTS) {
                        mergeLabels(desc.digest(), labels);
                    } else if (e.category() == ErrorCategory.FAILED_PRECONDITION) {
                        Digest got = w.digest();
                        w.close();
                        abortQuietly(ref);
                        if (resumedFrom > 0 && attempt == 0) {
                            // the kept partial ingest may be what is wrong: start once from zero
                            continue;
                        }
                        listener.update(new BlobProgress(ref, desc, 0, BlobProgress.Phase.FAILED));
                        throw BerthException.precondition("%s: the registry sent %d bytes hashing to %s, not %s;"
                                + " nothing was stored (ingest %s discarded)", what, desc.size(), got, desc.digest(), ref);
                    } else {
                        throw e;
                    }
                }
            } catch (BerthException e) {
                listener.update(new BlobProgress(ref, desc, 0, BlobProgress.Phase.FAILED));
                if (w.offset() == 0) {
                    // nothing to resume from: leave no empty ingest behind
                    w.close();
                    abortQuietly(ref);
                }
                throw e;
            }
            listener.update(new BlobProgress(ref, desc, desc.size(), BlobProgress.Phase.DONE));
            return;
        }
    }

    private void fill(Source source, Descriptor desc, ContentWriter w, String ref, String what) {
        long offset = w.offset();
        listener.update(new BlobProgress(ref, desc, offset, BlobProgress.Phase.DOWNLOADING));
        java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong(offset);
        java.util.function.Consumer<String> retrying = why -> listener.update(
                new BlobProgress(ref, desc, received.get(), BlobProgress.Phase.RETRYING));
        try (InputStream in = source.open(offset, retrying)) {
            byte[] buf = new byte[BUFFER];
            ByteBuffer bb = ByteBuffer.wrap(buf);
            long reported = offset;
            long reportedAt = System.nanoTime();
            int filled = 0;
            int n = 0;
            while (n >= 0) {
                // fill the buffer before writing (one write and one hash update per 256 KiB), but write
                // what a slow body has sent at least once a second, so the ingest and the display move
                n = in.read(buf, filled, buf.length - filled);
                if (n > 0) {
                    filled += n;
                    received.addAndGet(n);
                }
                boolean due = System.nanoTime() - reportedAt >= FLUSH_NANOS;
                if (filled == buf.length || n < 0 || due && filled > 0) {
                    if (Thread.interrupted()) {
                        throw new BerthException(ErrorCategory.UNAVAILABLE, what + ": pull cancelled at byte "
                                + w.offset() + " (ingest " + ref + " kept for resume)");
                    }
                    bb.clear().limit(filled);
                    w.write(bb);
                    filled = 0;
                }
                if (w.offset() - reported >= PROGRESS_STEP || due && w.offset() > reported) {
                    reported = w.offset();
                    reportedAt = System.nanoTime();
                    listener.update(new BlobProgress(ref, desc, reported, BlobProgress.Phase.DOWNLOADING));
                }
            }
        } catch (IOException e) {
            ErrorCategory c = e.getMessage() != null && e.getMessage().contains(" timed out ")
                    ? ErrorCategory.DEADLINE_EXCEEDED : ErrorCategory.UNAVAILABLE;
            throw new BerthException(c, e.getMessage() + " (ingest " + ref + " kept at byte " + w.offset()
                    + "; pulling again resumes there)", e);
        }
    }

    private void abortQuietly(String ref) {
        try {
            store.abort(ref);
        } catch (BerthException e) {
            if (e.category() != ErrorCategory.NOT_FOUND) {
                throw e;
            }
        }
    }

    private void mergeLabels(Digest d, Map<String, String> labels) {
        if (labels.isEmpty()) {
            return;
        }
        Map<String, String> current = store.info(d).labels();
        java.util.Map<String, String> merged = new java.util.HashMap<>();
        labels.forEach((k, v) -> {
            String old = current.get(k);
            if (old != null && k.startsWith(ImagePuller.DISTRIBUTION_SOURCE) && !java.util.Arrays.asList(old.split(","))
                    .contains(v)) {
                merged.put(k, old + "," + v);
            } else if (old == null || !old.equals(v)) {
                merged.put(k, old != null && k.startsWith(ImagePuller.DISTRIBUTION_SOURCE) ? old : v);
            }
        });
        if (merged.isEmpty()) {
            return;
        }
        java.util.Set<String> paths = new java.util.HashSet<>();
        merged.keySet().forEach(k -> paths.add("labels." + k));
        store.update(d, merged, paths);
    }
}
