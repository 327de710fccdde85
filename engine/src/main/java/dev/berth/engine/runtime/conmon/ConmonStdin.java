package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskInput;
import dev.berth.engine.sys.FdKeeper;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task's stdin through its conmon's attach socket ({@code <bundle>/attach}, SOCK_SEQPACKET): with
 * {@code --stdin} conmon holds a pipe to the container's stdin and writes each message it receives
 * into it, and when the client's side ends (end of stream, or the last descriptor of the connection
 * closing) it closes that pipe, which is the process's end of file. conmon also sends the
 * container's output to every attached client; that copy is read and dropped here (Berth takes
 * output from the log), so conmon never blocks on a full socket, and the socket is closed only once
 * conmon has closed its side (the container ended), so conmon never writes to a closed peer.
 *
 * <p>A daemon restart must not end the stdin, so the connection does not live in the daemon alone:
 * a keeper process ({@link FdKeeper}) holds a duplicate of it (and of what feeds it, the client's
 * FIFO, when given), recorded in {@code <bundle>/stdin.keeper} with the source's name, and
 * {@link #reattach} takes both back in the next daemon. The keeper is started off the caller's
 * path (spawning it and seeing it run takes ~1.5 ms, which Tasks/Create need not wait for), from
 * duplicates of both descriptors taken at once, so a descriptor closed and reused meanwhile cannot
 * be the one kept; a daemon that dies in the few milliseconds before the record is written leaves a
 * stdin that ends with it, as before a keeper existed. {@link #close} (end of file on purpose) ends
 * the keeper and removes the record, and a keeper that comes up after that is ended at once, so a
 * closed stdin stays closed. Thread-safe for one writer.
 */
final class ConmonStdin implements TaskInput {
    private static final Logger LOG = LoggerFactory.getLogger(ConmonStdin.class);
    /** Well under conmon's receive buffer: a larger packet would be cut, not split. */
    private static final int PACKET = 4096;
    private static final String RECORD = "stdin.keeper";
    /** Starts keepers one after another, off the paths that attach. */
    private static final ExecutorService KEEPING = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "berth-stdin-keeper");
        t.setDaemon(true);
        return t;
    });

    private final int fd;
    private final String name;
    private final Path bundle;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Guarded by this: the keeper, once started and recorded. */
    private FdKeeper.Kept keeper;
    /** Guarded by this: closed, or conmon gone; nothing is kept after that. */
    private boolean ended;

    private ConmonStdin(int fd, Path bundle, FdKeeper.Kept keeper) {
        this.fd = fd;
        this.name = bundle.resolve("attach").toString();
        this.bundle = bundle;
        this.keeper = keeper;
    }

    /**
     * Connects to the task's stdin; {@code source} (a path, may be null) and {@code sourceFd} (-1 for
     * none) name what feeds it, which the keeper holds too.
     */
    static ConmonStdin attach(Path bundle, String task, String source, int sourceFd) {
        int fd = connect(bundle, task);
        ConmonStdin in = start(new ConmonStdin(fd, bundle, null), task);
        int[] copies = new int[sourceFd < 0 ? 1 : 2];
        int n = 0;
        try {
            copies[n] = Sys.dup(fd, in.name);
            n++;
            if (sourceFd >= 0) {
                copies[n] = Sys.dup(sourceFd, source);
                n++;
            }
            String from = sourceFd < 0 || source == null ? "" : source;
            KEEPING.execute(() -> in.keep(copies, from, task));
        } catch (RuntimeException e) {
            for (int i = 0; i < n; i++) {
                Sys.close(copies[i]);
            }
            LOG.warn("task {}: its stdin will not outlive this daemon: {}", task, e.getMessage());
        }
        return in;
    }

    /** Starts the keeper of {@code copies} (closed here) and records it, unless the stdin has ended meanwhile. */
    private void keep(int[] copies, String source, String task) {
        FdKeeper.Kept k;
        try {
            k = FdKeeper.keep(copies);
        } catch (RuntimeException e) {
            // the stdin works; only a daemon restart would end it
            LOG.warn("task {}: its stdin will not outlive this daemon: {}", task, e.getMessage());
            return;
        } finally {
            for (int c : copies) {
                Sys.close(c);
            }
        }
        synchronized (this) {
            if (!ended) {
                try {
                    Files.writeString(bundle.resolve(RECORD), k.print() + "\n" + source + "\n", StandardCharsets.UTF_8);
                    keeper = k;
                    return;
                } catch (IOException e) {
                    LOG.warn("task {}: its stdin will not outlive this daemon: {}", task, e.getMessage());
                }
            }
        }
        FdKeeper.end(k);
    }

    /**
     * Connects to the stdin of {@code bundle}'s monitor without a keeper: it ends with this daemon
     * (an exec's terminal, which a restart forgets anyway).
     */
    static ConmonStdin attach(Path bundle, String task) {
        return start(new ConmonStdin(connect(bundle, task), bundle, null), task);
    }

    private static int connect(Path bundle, String task) {
        try {
            return Sys.connectSeqPacket(bundle, "attach");
        } catch (RuntimeException e) {
            throw BerthException.unavailable("task %s: cannot attach to its monitor's stdin socket %s: %s", task,
                    bundle.resolve("attach"), e.getMessage());
        }
    }

    /**
     * The stdin an earlier daemon attached and did not close, with its source (the keeper's second
     * descriptor, or -1), taken back from the keeper; empty (and the keeper ended) when there is none
     * to take or {@code live} says the task has exited (asked only when a keeper is recorded).
     */
    static Optional<TaskInput.Reattached> reattach(Path bundle, String task, java.util.function.BooleanSupplier live) {
        Optional<Recorded> r = recorded(bundle);
        if (r.isEmpty()) {
            return Optional.empty();
        }
        FdKeeper.Kept k = r.get().keeper();
        if (k.alive() && live.getAsBoolean()) {
            try {
                int fd = FdKeeper.take(k, 0);
                int src = r.get().source().isEmpty() ? -1 : FdKeeper.take(k, 1);
                return Optional.of(new TaskInput.Reattached(start(new ConmonStdin(fd, bundle, k), task),
                        r.get().source(), src));
            } catch (RuntimeException e) {
                LOG.warn("task {}: cannot take its stdin back from keeper {}: {}", task, k.pid(), e.getMessage());
            }
        }
        end(bundle);
        return Optional.empty();
    }

    /** What {@code <bundle>/stdin.keeper} names: the keeper and the stdin's source. */
    record Recorded(FdKeeper.Kept keeper, String source) {
    }

    static Optional<Recorded> recorded(Path bundle) {
        try {
            var lines = Files.readAllLines(bundle.resolve(RECORD), StandardCharsets.UTF_8);
            return lines.isEmpty() ? Optional.empty() : FdKeeper.Kept.parse(lines.get(0))
                    .map(k -> new Recorded(k, lines.size() > 1 ? lines.get(1) : ""));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Ends the recorded keeper of the task's stdin and removes the record (its deletion, its end). */
    static void end(Path bundle) {
        recorded(bundle).ifPresent(r -> FdKeeper.end(r.keeper()));
        removeRecord(bundle);
    }

    private static void removeRecord(Path bundle) {
        try {
            Files.deleteIfExists(bundle.resolve(RECORD));
        } catch (IOException e) {
            // the bundle goes with the task
        }
    }

    private static ConmonStdin start(ConmonStdin in, String task) {
        Thread drain = new Thread(in::drainUntilConmonCloses, "berth-stdin-" + task.replace('/', '-'));
        drain.setDaemon(true);
        drain.start();
        return in;
    }

    private void drainUntilConmonCloses() {
        byte[] buf = new byte[32 * 1024];
        while (Sys.read(fd, buf) > 0) {
            // the container's output, which the log already has
        }
        Sys.close(fd);
        // conmon is gone with the container: nothing is left to keep
        endKeeper();
    }

    private void endKeeper() {
        FdKeeper.Kept k;
        synchronized (this) {
            ended = true;
            k = keeper;
            keeper = null;
        }
        if (k != null) {
            FdKeeper.end(k);
            removeRecord(bundle);
        }
    }

    @Override
    public void write(byte[] buf, int len) {
        if (closed.get()) {
            throw BerthException.precondition("%s: stdin already closed", name);
        }
        for (int off = 0; off < len; off += PACKET) {
            int n = Math.min(PACKET, len - off);
            byte[] packet = java.util.Arrays.copyOfRange(buf, off, off + n);
            try {
                Sys.write(fd, packet, n, name);
            } catch (RuntimeException e) {
                throw BerthException.unavailable("writing the stdin of %s: %s", name, e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            // the keeper first: a daemon that dies in between finds no stdin to take back
            endKeeper();
            Sys.shutdownWrite(fd);
        }
    }
}
