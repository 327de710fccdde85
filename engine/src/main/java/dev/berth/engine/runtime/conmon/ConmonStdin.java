package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskInput;
import dev.berth.engine.sys.Sys;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A task's stdin through its conmon's attach socket ({@code <bundle>/attach}, SOCK_SEQPACKET): with
 * {@code --stdin} conmon holds a pipe to the container's stdin and writes each message it receives
 * into it, and when the client's side ends (end of stream) it closes that pipe, which is the
 * process's end of file. conmon also sends the container's output to every attached client; that
 * copy is read and dropped here (Berth takes output from the log), so conmon never blocks on a full
 * socket, and the socket is closed only once conmon has closed its side (the container ended), so
 * conmon never writes to a closed peer. Thread-safe for one writer.
 */
final class ConmonStdin implements TaskInput {
    /** Well under conmon's receive buffer: a larger packet would be cut, not split. */
    private static final int PACKET = 4096;

    private final int fd;
    private final String name;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ConmonStdin(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    static ConmonStdin attach(Path bundle, String task) {
        int fd;
        try {
            fd = Sys.connectSeqPacket(bundle, "attach");
        } catch (RuntimeException e) {
            throw BerthException.unavailable("task %s: cannot attach to its monitor's stdin socket %s: %s", task,
                    bundle.resolve("attach"), e.getMessage());
        }
        ConmonStdin in = new ConmonStdin(fd, bundle.resolve("attach").toString());
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
            Sys.shutdownWrite(fd);
        }
    }
}
