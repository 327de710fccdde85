package dev.berth.controller.grpc;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskInput;
import dev.berth.engine.sys.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies what a containerd client writes to a task's stdin FIFO ({@code ctr run} makes it and
 * passes its path in Tasks/Create) into the task's stdin ({@link TaskInput}), on a thread of its
 * own. The FIFO is opened for reading without waiting for a writer; the client's end closing (its
 * stdin reached end of file, or it exited: {@code run -d}) is the task's end of file, and so is a
 * client that never opens its end within {@link #NO_WRITER} (ctr cancels its open when its stdin is
 * already at end of file). Tasks/CloseIO ends the task's stdin too, once what the client wrote is
 * through (ctr sends CloseIO while it still holds the FIFO open); what comes after is dropped.
 * A task's stdin outlives the daemon ({@link dev.berth.engine.runtime.TaskRuntime#openStdin(String,
 * String, String, int)} keeps it and a descriptor of the FIFO open meanwhile), and the next daemon
 * {@link #resume}s the copy from where it stopped. Thread-safe.
 */
final class StdinRelay {
    private static final Logger LOG = LoggerFactory.getLogger(StdinRelay.class);
    /** How long CloseIO waits for bytes still in the FIFO to be taken. */
    private static final Duration DRAIN = Duration.ofSeconds(2);
    /** How long a FIFO without a writer is given for the client to open its end. */
    private static final Duration NO_WRITER = Duration.ofMillis(500);

    private final Path fifo;
    private final TaskInput input;
    private final String what;
    /** Blocked in a read of an empty FIFO: nothing is in flight between the FIFO and the task. */
    private boolean waiting;
    private boolean closed;

    private StdinRelay(Path fifo, TaskInput input, String what) {
        this.fifo = fifo;
        this.input = input;
        this.what = what;
    }

    /** Checks the FIFO path of a Tasks/Create request; INVALID_ARGUMENT naming it when unusable. */
    static Path fifoPath(String stdin) {
        if (stdin.contains("://")) {
            throw BerthException.invalid("stdin: %s is a URI; Berth takes a FIFO path for stdin, or none", stdin);
        }
        Path p = Path.of(stdin);
        if (!Files.exists(p)) {
            throw BerthException.invalid("stdin: %s does not exist (the client creates the FIFO before Tasks/Create)", stdin);
        }
        return p;
    }

    /** Opens {@code fifo} for reading without waiting for a writer: the descriptor {@link #start} copies from. */
    static int open(Path fifo) {
        try {
            return Sys.openFifoReader(fifo);
        } catch (RuntimeException e) {
            throw BerthException.unavailable("stdin: cannot open %s: %s", fifo, e.getMessage());
        }
    }

    /** Starts copying {@code fifo} into {@code input}. */
    static StdinRelay start(Path fifo, TaskInput input, String what) {
        int fd;
        try {
            fd = open(fifo);
        } catch (RuntimeException e) {
            input.close();
            throw e;
        }
        return start(fifo, fd, input, what);
    }

    /**
     * The copy of a task's stdin that an earlier daemon ran, from the FIFO descriptor kept for it (or
     * the FIFO reopened by its path): what the client wrote meanwhile waits in the FIFO.
     */
    static StdinRelay resume(TaskInput.Reattached r, String what) {
        Path fifo = Path.of(r.source());
        return r.sourceFd() >= 0 ? start(fifo, r.sourceFd(), r.input(), what) : start(fifo, r.input(), what);
    }

    /** Starts copying from {@code fd}, a read end of {@code fifo}, into {@code input}; the copy closes it. */
    static StdinRelay start(Path fifo, int fd, TaskInput input, String what) {
        StdinRelay r = new StdinRelay(fifo, input, what);
        Thread t = new Thread(() -> r.copy(fd), "berth-stdin-relay-" + what.replace(' ', '-'));
        t.setDaemon(true);
        t.start();
        return r;
    }

    private void copy(int fd) {
        byte[] buf = new byte[16 * 1024];
        long noWriterUntil = System.nanoTime() + NO_WRITER.toNanos();
        boolean blocking = false;
        try {
            while (true) {
                synchronized (this) {
                    if (closed) {
                        break;
                    }
                    waiting = blocking;
                }
                int n = Sys.readFifo(fd, buf, fifo.toString());
                boolean drop;
                synchronized (this) {
                    waiting = false;
                    drop = closed;
                }
                if (n > 0 && !drop) {
                    // outside the lock: a task that does not read its stdin holds this write, not CloseIO
                    input.write(buf, n);
                }
                if (n == Sys.FIFO_EMPTY) {
                    // a writer holds it: from now on a read waits for data, and 0 is its end of file
                    Sys.setBlocking(fd, fifo.toString());
                    blocking = true;
                } else if (n == 0) {
                    if (blocking || System.nanoTime() > noWriterUntil) {
                        break;
                    }
                    Thread.sleep(5);
                } else if (!blocking) {
                    blocking = true;
                    Sys.setBlocking(fd, fifo.toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debug("{}: stdin copy ends: {}", what, e.getMessage());
        } finally {
            Sys.close(fd);
            input.close();
        }
    }

    /**
     * Tasks/CloseIO: once the FIFO holds nothing more and nothing is on its way (or after
     * {@link #DRAIN}), the task's stdin is closed, whether or not the client still holds its end.
     */
    void closeWhenDrained() {
        long deadline = System.nanoTime() + DRAIN.toNanos();
        while (System.nanoTime() < deadline) {
            synchronized (this) {
                if (closed || waiting && unread() == 0) {
                    break;
                }
            }
            if (!ClientFifos.nap()) {
                break;
            }
        }
        stop();
    }

    /**
     * The task's stdin ends now (Tasks/Delete, CloseIO). The copy thread, if blocked on a client that
     * still holds the FIFO, ends when the client closes it; what it reads until then is dropped.
     */
    void stop() {
        synchronized (this) {
            closed = true;
        }
        input.close();
    }

    private int unread() {
        try {
            return Sys.fifoUnread(fifo);
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
