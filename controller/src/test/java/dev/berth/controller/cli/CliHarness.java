package dev.berth.controller.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/**
 * The CLI as tests run it: {@link Main#run} in this JVM with its output captured, optionally on a
 * test's own config file. One copy for every CLI test. Stateless, thread-safe (Main keeps no state
 * between runs).
 */
public final class CliHarness {
    private CliHarness() {
    }

    /** What one command did. */
    public record Run(int code, String out, String err) {
    }

    /** Runs {@code berth ARGS}. */
    public static Run berth(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs {@code berth --config CONFIG ARGS}. */
    public static Run berth(Path config, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = config.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return berth(all);
    }
}
