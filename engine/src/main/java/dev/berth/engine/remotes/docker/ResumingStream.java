package dev.berth.engine.remotes.docker;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A blob body of known size that survives dropped and stalled connections: a read that fails or
 * ends early re-opens the blob at the current offset (an HTTP Range request), and a watchdog drops a
 * connection that is stalled so that it is resumed too. Stalled means fewer than
 * {@link #MIN_PROGRESS} bytes (or the rest of the blob) arrived in one progress timeout: a body that
 * trickles a few bytes now and then is as stuck as one that sends nothing. The read fails with an
 * {@link IOException} saying how many bytes arrived, what went wrong each time and how often it
 * resumed, after {@code resumes} consecutive re-opens without real progress or {@link #MAX_STALLS}
 * stalls in all, so a registry that keeps stalling fails the pull within a few progress timeouts.
 * Each stall and failed connection is reported to the {@code retrying} callback (from the watchdog
 * or reading thread) for progress displays. Not thread-safe (one reader), but {@link #close()} may
 * be called from any thread.
 */
final class ResumingStream extends InputStream {
    /** Opens the blob at an offset; returns a stream positioned there. */
    @FunctionalInterface
    interface Opener {
        InputStream open(long offset) throws IOException, InterruptedException;
    }

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "berth-fetch-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** Bytes a connection must deliver per progress timeout not to count as stalled. */
    static final long MIN_PROGRESS = 64 * 1024;
    /** Stalls of one blob (with or without progress between them) after which the read gives up. */
    static final int MAX_STALLS = 8;

    private final String what;
    private final long size;
    private final Opener opener;
    private final Duration progressTimeout;
    private final int maxResumes;
    private final List<String> events = new ArrayList<>();
    private final ScheduledFuture<?> watchdog;
    private final java.util.function.Consumer<String> retrying;
    private volatile InputStream in;
    private volatile long windowStartNanos = System.nanoTime();
    private volatile long windowStartPos;
    private volatile String stalled;
    private volatile boolean closed;
    private volatile long pos;
    private long posAtLastOpen;
    private int resumesWithoutProgress;
    private int resumesTotal;
    private int stalls;
    private boolean timedOut;

    ResumingStream(String what, long size, long offset, InputStream first, Opener opener,
                   Duration progressTimeout, int maxResumes, java.util.function.Consumer<String> retrying) {
        this.what = what;
        this.retrying = retrying;
        this.windowStartPos = offset;
        this.size = size;
        this.pos = offset;
        this.posAtLastOpen = offset;
        this.in = first;
        this.opener = opener;
        this.progressTimeout = progressTimeout;
        this.maxResumes = maxResumes;
        long period = Math.max(50, Math.min(1000, progressTimeout.toMillis() / 4));
        this.watchdog = WATCHDOG.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    private void check() {
        InputStream current = in;
        long now = System.nanoTime();
        if (current == null || closed || stalled != null || now - windowStartNanos < progressTimeout.toNanos()) {
            return;
        }
        long got = pos - windowStartPos;
        if (got >= Math.min(MIN_PROGRESS, size - windowStartPos)) {
            windowStartNanos = now;
            windowStartPos = pos;
            return;
        }
        stalled = (got == 0 ? "no data" : "only " + got + " bytes") + " for " + seconds(progressTimeout) + " at byte "
                + pos + " of " + size + " (stalled)";
        retrying.accept(stalled + "; resuming with Range");
        try {
            current.close();
        } catch (IOException ignored) {
            // the reader sees the failure
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            if (closed) {
                throw new IOException(what + ": stream closed");
            }
            if (pos >= size) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            String failure;
            try {
                int n = in.read(b, off, (int) Math.min(len, size - pos));
                if (n > 0 && stalled == null) {
                    pos += n;
                    return n;
                }
                failure = stalled != null ? null : "connection closed after " + pos + " of " + size + " bytes";
            } catch (IOException e) {
                failure = stalled != null ? null : HostRequester.describe(e);
            }
            if (stalled != null) {
                timedOut = true;
                stalls++;
                failure = stalled;
            } else {
                retrying.accept(failure + "; resuming with Range");
            }
            resume(failure);
        }
    }

    private void resume(String failure) throws IOException {
        if (pos - posAtLastOpen >= Math.min(MIN_PROGRESS, size - posAtLastOpen)) {
            resumesWithoutProgress = 0;
        }
        events.add(failure);
        closeQuietly(in);
        in = null;
        while (true) {
            if (resumesWithoutProgress >= maxResumes || stalls >= MAX_STALLS || closed) {
                throw new IOException(giveUp());
            }
            resumesWithoutProgress++;
            resumesTotal++;
            posAtLastOpen = pos;
            try {
                in = opener.open(pos);
                windowStartPos = pos;
                windowStartNanos = System.nanoTime();
                stalled = null;
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException(what + ": interrupted while resuming");
            } catch (BerthException e) {
                if (!e.category().retryable()) {
                    throw new IOException(giveUp() + "; resuming failed: " + e.getMessage(), e);
                }
                if (e.category() == ErrorCategory.DEADLINE_EXCEEDED) {
                    timedOut = true;
                }
                events.add("resume at byte " + pos + " failed: " + e.getMessage());
            }
        }
    }

    private String giveUp() {
        String why = stalls >= MAX_STALLS ? stalls + " stalls"
                : resumesWithoutProgress + " resume" + (resumesWithoutProgress == 1 ? "" : "s") + " without progress";
        return what + (timedOut ? " timed out (the registry stalled)" : " failed") + " after " + pos + " of " + size
                + " bytes (" + String.join("; ", events) + "); resumed with Range " + resumesTotal + " time"
                + (resumesTotal == 1 ? "" : "s") + ", giving up after " + why;
    }

    /** The category a failure of this stream has: DEADLINE_EXCEEDED after a stall, else UNAVAILABLE. */
    ErrorCategory failureCategory() {
        return timedOut ? ErrorCategory.DEADLINE_EXCEEDED : ErrorCategory.UNAVAILABLE;
    }

    /** How often the body was re-opened with Range. */
    int resumes() {
        return resumesTotal;
    }

    private static void closeQuietly(InputStream s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // replaced anyway
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        watchdog.cancel(false);
        closeQuietly(in);
    }
}
