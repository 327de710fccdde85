package dev.berth.engine.runtime;

/**
 * The write side of a task's stdin (a task created with {@link TaskRuntime.Stdin#PIPE}): bytes
 * written reach the init process in order; {@link #close} gives it end of file. Not thread-safe:
 * one writer, which may close from another thread once its last write has returned.
 */
public interface TaskInput extends AutoCloseable {
    /** Writes the first {@code len} bytes of {@code buf}; blocks while the process does not read. */
    void write(byte[] buf, int len);

    /** End of file for the process (idempotent). */
    @Override
    void close();
}
