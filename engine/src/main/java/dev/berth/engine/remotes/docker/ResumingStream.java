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
 * connection that sends nothing for the progress timeout so that it is resumed too. After
 * {@code resumes} consecutive re-opens without a single new byte the read fails with an
 * {@link IOException} whose message says how many bytes arrived, what went wrong each time, and how
 * often it resumed. Not thread-safe (one reader), but {@link #close()} may be called from any thread.
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

    private final String what;
    private final long size;
    private final Opener opener;
    private final Duration progressTimeout;
    private final int maxResumes;
    private final List<String> events = new ArrayList<>();
    private final ScheduledFuture<?> watchdog;
    private volatile InputStream in;
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile boolean stalled;
    private volatile boolean closed;
    private long pos;
    private long posAtLastOpen;
    private int resumesWithoutProgress;
    private int resumesTotal;
    private boolean timedOut;

    ResumingStream(String what, long size, long offset, InputStream first, Opener opener,
                   Duration progressTimeout, int maxResumes) {
        this.what = what;
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
        if (current != null && !closed
                && System.nanoTime() - lastProgressNanos > progressTimeout.toNanos()) {
            stalled = true;
            try {
                current.close();
            } catch (IOException ignored) {
                // the reader sees the failure
            }
        }
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
                if (n > 0 && !stalled) {
                    pos += n;
                    lastProgressNanos = System.nanoTime();
                    return n;
                }
                failure = stalled ? null : "connection closed after " + pos + " of " + size + " bytes";
            } catch (IOException e) {
                failure = stalled ? null : HostRequester.describe(e);
            }
            if (stalled) {
                timedOut = true;
                failure = "no data for " + progressTimeout.toSeconds() + "s at byte " + pos + " of " + size;
            }
            resume(failure);
        }
    }

    private void resume(String failure) throws IOException {
        if (pos > posAtLastOpen) {
            resumesWithoutProgress = 0;
        }
        events.add(failure);
        closeQuietly(in);
        in = null;
        while (true) {
            if (resumesWithoutProgress >= maxResumes || closed) {
                throw new IOException(giveUp());
            }
            resumesWithoutProgress++;
            resumesTotal++;
            stalled = false;
            posAtLastOpen = pos;
            lastProgressNanos = System.nanoTime();
            try {
                in = opener.open(pos);
                lastProgressNanos = System.nanoTime();
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
        return what + (timedOut ? " timed out" : " failed") + " after " + pos + " of " + size + " bytes ("
                + String.join("; ", events) + "); resumed with Range " + resumesTotal + " time"
                + (resumesTotal == 1 ? "" : "s") + ", giving up after " + resumesWithoutProgress
                + " resume" + (resumesWithoutProgress == 1 ? "" : "s") + " without progress";
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
