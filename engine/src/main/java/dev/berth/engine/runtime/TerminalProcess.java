package dev.berth.engine.runtime;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A process started in a task on a pseudo-terminal of its own ({@link TaskRuntime#execOnTerminal}):
 * its monitor holds the pty master, takes input through {@link #openStdin}, keeps the output in a
 * CRI log of the process's own ({@link #log}, all as stdout) and records the exit. Thread-safe.
 */
public interface TerminalProcess {
    /** The process's pid in the host's pid namespace. */
    long pid();

    /** The CRI-format log of the terminal's output. */
    Path log();

    /** The write side of the terminal's input (keystrokes); open it once. */
    TaskInput openStdin();

    /** Sets the terminal's size (the process gets SIGWINCH); nothing once it has ended. */
    void resize(int width, int height);

    /** The exit, once the process has ended and its monitor has written the last output to the log; else null. */
    Exit exit();

    /** An ended process's status (128+signal after a signal) and when it ended. */
    record Exit(int code, Instant at) {
    }
}
