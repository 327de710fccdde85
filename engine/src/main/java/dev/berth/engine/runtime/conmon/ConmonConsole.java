package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.sys.SysException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The terminal of a task that conmon runs with {@code -t}: runc hands the pty master to conmon over
 * the console socket conmon made, and conmon keeps it for the container's life. The process's input
 * reaches the master through conmon's attach socket ({@link ConmonStdin}), its output goes to the log
 * as stdout (conmon turns on ONLCR), and its size is set through conmon's control FIFO
 * {@code <bundle>/ctl}: conmon reads lines {@code "<type> <height> <width>\n"}, type 1 being a
 * resize (2 reopens the log), and applies TIOCSWINSZ to the master, which sends the process
 * SIGWINCH. conmon holds a writer of that FIFO itself, so it never sees end of file; once conmon is
 * gone no reader holds it and the open fails (ENXIO) instead of waiting: the terminal is gone with the
 * process, and a resize of it is nothing to do (as for a task whose exit is recorded). Stateless.
 */
final class ConmonConsole {
    private static final int RESIZE = 1;

    private ConmonConsole() {
    }

    /**
     * Checks that the init's terminal in {@code spec} and the stdin mode asked for agree: runc gives
     * a terminal only with a console socket (conmon's {@code -t}), and conmon's {@code -t} expects one.
     */
    static void checkAgrees(String task, RuntimeSpec spec, TaskRuntime.Stdin stdin) {
        boolean specTerminal = spec.process() != null && spec.process().hasTerminal();
        boolean asked = stdin == TaskRuntime.Stdin.TERMINAL;
        if (specTerminal != asked) {
            throw BerthException.invalid("task %s: %s", task, asked
                    ? "a terminal is asked for but the spec's process.terminal is not true (ctr run -t sets both)"
                    : "the spec's process.terminal is true but no terminal is asked for (Tasks/Create terminal: true)");
        }
    }

    /** Whether the task of {@code bundle} runs on a terminal (its spec's process.terminal). */
    static boolean hasTerminal(Path bundle) {
        try {
            RuntimeSpec spec = TaskBundles.spec(bundle);
            return spec.process() != null && spec.process().hasTerminal();
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** Asks conmon to set the terminal of {@code bundle}'s process to {@code width} × {@code height}. */
    static void resize(Path bundle, String what, int width, int height) {
        if (width <= 0 || height <= 0 || width > 0xffff || height > 0xffff) {
            throw BerthException.invalid("%s: terminal size %dx%d (width x height) is not 1 to 65535 each", what,
                    width, height);
        }
        byte[] line = (RESIZE + " " + height + " " + width + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            Sys.writeFifo(bundle.resolve("ctl"), line);
        } catch (SysException e) {
            if (e.errno() == dev.berth.engine.sys.Errno.ENXIO) {
                return; // conmon is gone, and the process with it: its exit is on its way
            }
            throw BerthException.precondition("%s: its monitor (conmon) does not take a resize now: %s", what,
                    e.getMessage());
        }
    }
}
