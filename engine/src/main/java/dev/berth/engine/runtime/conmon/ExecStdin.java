package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskInput;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An exec's stdin: the pipe to {@code runc exec}'s stdin, which runc hands on to the process it
 * starts (no terminal), so closing it is the process's end of file. Thread-safe for one writer;
 * {@link #close} may come from any thread.
 */
final class ExecStdin implements TaskInput {
    private final OutputStream pipe;
    private final String task;
    /** Guards the two flags; never held during a write, so a close never waits on a stuck write. */
    private final Object lock = new Object();
    private boolean writing;
    private boolean closed;

    ExecStdin(OutputStream pipe, String task) {
        this.pipe = pipe;
        this.task = task;
    }

    @Override
    public void write(byte[] buf, int len) {
        synchronized (lock) {
            if (closed) {
                throw BerthException.precondition("exec in task %s: stdin already closed", task);
            }
            writing = true;
        }
        try {
            pipe.write(buf, 0, len);
            pipe.flush();
        } catch (IOException e) {
            throw BerthException.unavailable("writing the stdin of an exec in task %s: %s", task, e.getMessage());
        } finally {
            boolean closeNow;
            synchronized (lock) {
                writing = false;
                closeNow = closed;
            }
            if (closeNow) {
                closePipe();
            }
        }
    }

    /**
     * End of file for the process. A write in flight (a process that does not read its stdin holds
     * it) keeps the pipe until it returns, and the writer closes it then: closing the JDK's stream
     * would wait for that write.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (writing) {
                return;
            }
        }
        closePipe();
    }

    private void closePipe() {
        try {
            pipe.close();
        } catch (IOException e) {
            // the process has ended: it reads nothing more either way
        }
    }
}
