package dev.berth.engine.runtime;

/**
 * The write side of a task's stdin (a task created with {@link TaskRuntime.Stdin#PIPE}): bytes
 * written reach the init process in order; {@link #close} gives it end of file. Not thread-safe:
 * one writer, which may close from another thread once its last write has returned.
 */
public interface TaskInput extends AutoCloseable {
    /**
     * A stdin that an earlier daemon opened and did not close ({@link TaskRuntime#reattachStdin}),
     * with what it named as its source when it opened it.
     *
     * @param source   the source's name (a client's FIFO path), empty when none was given
     * @param sourceFd a descriptor of the source, open in this process (the caller closes it), or -1
     */
    record Reattached(TaskInput input, String source, int sourceFd) {
    }

    /** Writes the first {@code len} bytes of {@code buf}; blocks while the process does not read. */
    void write(byte[] buf, int len);

    /** End of file for the process (idempotent). */
    @Override
    void close();
}
