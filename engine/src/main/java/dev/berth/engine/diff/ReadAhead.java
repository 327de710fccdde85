package dev.berth.engine.diff;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads a source stream to its end on a thread of its own, a few chunks ahead of the reader, so
 * that decompressing and hashing a layer overlap with writing its files. The source is read to
 * its very end (trailing bytes included) even when the reader stops at the tar end marker; its
 * failures reach the reader unchanged, at the point in the stream where they happened. The
 * source belongs to this stream until {@link #close()}, which stops the thread and waits for it.
 * One reader thread; not thread-safe otherwise.
 */
final class ReadAhead extends InputStream {
    private static final int CHUNK = 1 << 17;
    private static final int DEPTH = 8;
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** A filled buffer; {@code len < 0} marks the end (with {@code failure} set when it failed). */
    private record Chunk(byte[] data, int len, Throwable failure) {
    }

    private final InputStream source;
    private final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(DEPTH + 1);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(DEPTH);
    private final Thread thread;
    private volatile boolean closed;
    private Chunk current;
    private int pos;
    private boolean ended;

    ReadAhead(InputStream source) {
        this.source = source;
        for (int i = 0; i < DEPTH; i++) {
            free.add(new byte[CHUNK]);
        }
        this.thread = new Thread(this::fill, "berth-layer-read-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    private void fill() {
        try {
            while (!closed) {
                byte[] b = free.take();
                int n = 0;
                Throwable failure = null;
                int r = 0;
                try {
                    while (n < b.length && (r = source.read(b, n, b.length - n)) >= 0) {
                        n += r;
                    }
                } catch (IOException | RuntimeException | Error e) {
                    failure = e;
                }
                // the bytes before a failure still reach the reader, then the failure
                if (n > 0) {
                    full.put(new Chunk(b, n, null));
                }
                if (failure != null || r < 0) {
                    full.put(new Chunk(null, -1, failure));
                    return;
                }
            }
        } catch (InterruptedException e) {
            // closed by the reader
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int r = read(one, 0, 1);
        return r < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (current == null || pos == current.len()) {
            if (!next()) {
                return -1;
            }
        }
        int n = Math.min(len, current.len() - pos);
        System.arraycopy(current.data(), pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long done = 0;
        while (done < n) {
            if (current == null || pos == current.len()) {
                if (!next()) {
                    break;
                }
            }
            int k = (int) Math.min(n - done, current.len() - pos);
            pos += k;
            done += k;
        }
        return done;
    }

    @Override
    public int available() {
        return current == null ? 0 : current.len() - pos;
    }

    /** Moves to the next chunk; false at the end of the source. */
    private boolean next() throws IOException {
        if (ended) {
            return false;
        }
        if (current != null) {
            free.add(current.data());
            current = null;
        }
        Chunk c;
        try {
            c = full.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading a layer");
        }
        if (c.len() < 0) {
            ended = true;
            Throwable f = c.failure();
            if (f instanceof IOException io) {
                throw io;
            }
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error err) {
                throw err;
            }
            return false;
        }
        current = c;
        pos = 0;
        return true;
    }

    /** Stops the reading thread and waits for it; the source is not closed. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads and discards the rest of the source. */
    void drain() throws IOException {
        while (next()) {
            pos = current.len();
        }
    }
}
