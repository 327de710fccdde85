package dev.berth.controller.grpc;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * The stdout and stderr FIFOs a containerd client made for a process ({@code ctr run} creates them
 * and passes their paths in Tasks/Create or Exec). Opened read-write, which never blocks on a FIFO
 * (containerd's shim opens them the same way), so a client that went away ({@code run -d}) costs
 * nothing until a pipe fills; {@link #close} from any thread also ends a write that is stuck on a
 * full pipe. The client's copy sees end-of-file once this side is closed. Thread-safe.
 */
final class ClientFifos implements AutoCloseable {
    /** How long a client may leave written output untouched before it counts as gone ({@link #finish}). */
    static final Duration STALL = Duration.ofMillis(500);
    private final FileChannel out;
    private final FileChannel err;
    /** The FIFOs' paths (null for a dropped stream), to see whether the client has read them. */
    private final Path outPath;
    private final Path errPath;
    /** Runs once both streams are closed (a log binary's exit wait); null for plain FIFOs. */
    private final Runnable afterClose;

    ClientFifos(FileChannel out, Path outPath, FileChannel err, Path errPath, Runnable afterClose) {
        this.out = out;
        this.err = err;
        this.outPath = outPath;
        this.errPath = errPath;
        this.afterClose = afterClose;
    }

    /**
     * Opens the named FIFOs (an empty name: that stream is dropped, as with {@code --null-io}), or the
     * log URI a client gave ({@code ctr run --log-uri}: {@code file://} or {@code binary://}, as
     * containerd's shim takes them; see {@link LogUris}) for process {@code id} in namespace {@code ns}.
     */
    static ClientFifos open(String ns, String id, String stdout, String stderr) {
        if (LogUris.isUri(stdout) || LogUris.isUri(stderr)) {
            return LogUris.open(ns, id, stdout, stderr);
        }
        FileChannel o = null;
        try {
            o = fifo(stdout, "stdout");
            FileChannel e = fifo(stderr, "stderr");
            return new ClientFifos(o, o == null ? null : Path.of(stdout), e, e == null ? null : Path.of(stderr), null);
        } catch (RuntimeException e) {
            closeQuietly(o);
            throw e;
        }
    }

    private static FileChannel fifo(String name, String field) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        Path p = Path.of(name);
        if (!Files.exists(p)) {
            throw BerthException.invalid("%s: %s does not exist (the client creates the FIFO before Tasks/Create)", field, name);
        }
        try {
            return FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw BerthException.unavailable("%s: cannot open %s: %s", field, name, e.getMessage());
        }
    }

    /** Writes {@code text} to stdout or stderr; false once this side is closed (the rest is dropped). */
    boolean write(boolean stderr, String text) {
        return write(stderr, text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #write(boolean, String)} of bytes as they are (a terminal's output). */
    boolean write(boolean stderr, byte[] bytes) {
        FileChannel c = stderr ? err : out;
        if (c == null) {
            return true;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            while (b.hasRemaining()) {
                c.write(b);
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Closes once the client has taken what was written, once it has visibly stopped taking it (the
     * unread count has not gone down for {@code stall}: a {@code run -d} client that went away), or
     * after {@code grace}. This side holds the only write end: closing it while the data still sits
     * in a FIFO whose reader the client has not opened yet would drop the output, so the end waits
     * for the pipes to empty first. A reading client (ctr's copy goroutine, blocked in read) empties
     * them within milliseconds.
     */
    void finish(Duration stall, Duration grace) {
        long start = System.nanoTime();
        long progressAt = start;
        int last = Integer.MAX_VALUE;
        while (true) {
            int now = unread(outPath) + unread(errPath);
            long t = System.nanoTime();
            if (now == 0 || t - start > grace.toNanos()) {
                break;
            }
            if (now < last) {
                last = now;
                progressAt = t;
            } else if (t - progressAt > stall.toNanos()) {
                break;
            }
            if (!nap()) {
                break;
            }
        }
        close();
    }

    /** Sleeps 5 ms between two looks at a pipe; false (the interrupt kept) when interrupted. */
    static boolean nap() {
        try {
            Thread.sleep(5);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int unread(Path fifo) {
        if (fifo == null) {
            return 0;
        }
        try {
            return Sys.fifoUnread(fifo);
        } catch (RuntimeException e) {
            return 0; // gone (the client removed its FIFO directory): nobody left to read
        }
    }

    @Override
    public void close() {
        closeQuietly(out);
        closeQuietly(err);
        if (afterClose != null) {
            afterClose.run();
        }
    }

    static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // nothing more to send
            }
        }
    }
}
