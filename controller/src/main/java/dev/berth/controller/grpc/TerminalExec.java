package dev.berth.controller.grpc;

import dev.berth.engine.runtime.ExecRequest;
import dev.berth.engine.runtime.ExecResult;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TerminalProcess;
import dev.berth.engine.runtime.logs.CriLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's exec on a terminal ({@code ctr tasks exec -t}) over the runtime's
 * {@link TaskRuntime#execOnTerminal}: the client's stdin FIFO is copied into the terminal as for a
 * task ({@link StdinRelay}), and the terminal's log to the client's stdout FIFO piece by piece as for
 * a task on a terminal ({@link TaskOutput}: partial lines at once, woken by {@link LogWakeups}), until
 * the exec has ended and its log is drained; then the FIFOs are closed and {@code done} completes
 * with the exit. Thread-safe.
 */
final class TerminalExec {
    private static final Logger LOG = LoggerFactory.getLogger(TerminalExec.class);
    /** How long the end waits for the client to read the last output. */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(5);
    /**
     * How often the copy looks for the exit when the log is quiet: the exit has no event of its own
     * (conmon writes a file), and an idle interactive shell costs one file check at this rate.
     */
    private static final long EXIT_LOOK_MILLIS = 100;

    private final TerminalProcess process;
    private final StdinRelay input;

    private TerminalExec(TerminalProcess process, StdinRelay input) {
        this.process = process;
        this.input = input;
    }

    /** The copy of the client's stdin FIFO into the terminal; null without one. */
    StdinRelay input() {
        return input;
    }

    /** Starts {@code request} on a terminal in {@code container}; errors (the runtime's refusal) come from here. */
    static TerminalExec start(TaskRuntime runtime, String ns, String container, ExecRequest request, Path stdin,
            ClientFifos fifos, CompletableFuture<ExecProcesses.Exited> done) {
        String what = "exec " + request.name() + " of task " + ns + "/" + container;
        TerminalProcess p;
        StdinRelay in = null;
        try {
            p = runtime.execOnTerminal(ns, container, request);
            if (stdin != null) {
                in = StdinRelay.start(stdin, stdinOf(p, what), what);
            }
        } catch (RuntimeException e) {
            fifos.close();
            throw e;
        }
        TerminalExec t = new TerminalExec(p, in);
        Thread copy = new Thread(() -> t.copy(fifos, done, what), "berth-exec-tty-" + request.name());
        copy.setDaemon(true);
        copy.start();
        return t;
    }

    /**
     * The terminal's input; one that drops what it gets when the attach socket is already gone.
     * conmon makes the socket before it runs {@code runc exec} and removes it as it ends, so a
     * missing socket means a process that ended at once ({@code sh -c 'tty'}); the client's FIFO still
     * gets a reader, so ctr's stdin copy does not wait on it.
     */
    private static dev.berth.engine.runtime.TaskInput stdinOf(TerminalProcess p, String what) {
        try {
            return p.openStdin();
        } catch (dev.berth.engine.errdefs.BerthException e) {
            LOG.debug("{}: ended before its input was attached ({})", what, e.getMessage());
            return new dev.berth.engine.runtime.TaskInput() {
                @Override
                public void write(byte[] buf, int len) {
                    // nobody to type to
                }

                @Override
                public void close() {
                }
            };
        }
    }

    private void copy(ClientFifos fifos, CompletableFuture<ExecProcesses.Exited> done, String what) {
        TerminalProcess.Exit[] exit = {null};
        LogPause pause = new LogPause(process.log(), () -> EXIT_LOOK_MILLIS);
        try {
            CriLog.followPieces(process.log(), p -> fifos.write(false, TaskOutput.terminalBytes(p)),
                    () -> (exit[0] = process.exit()) != null, pause);
            fifos.finish(ClientFifos.STALL, OUTPUT_GRACE);
        } catch (RuntimeException e) {
            LOG.warn("{}: copying its terminal to the client stopped: {}", what, e.getMessage());
        } finally {
            fifos.close();
            if (input != null) {
                input.stop();
            }
            pause.close();
            TerminalProcess.Exit x = exit[0] != null ? exit[0] : process.exit();
            done.complete(x == null ? new ExecProcesses.Exited(new ExecResult(255, "", ""), java.time.Instant.now())
                    : new ExecProcesses.Exited(new ExecResult(x.code(), "", ""), x.at()));
        }
    }

    long pid() {
        return process.pid();
    }

    void resize(int width, int height) {
        process.resize(width, height);
    }

    /** Ends the stdin copy (the exec's deletion). */
    void stop() {
        if (input != null) {
            input.stop();
        }
    }
}
