package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;

/**
 * Imperative store commands while a daemon owns the root: the client sends its arguments to the
 * daemon ({@code POST /cli}), which runs the same command on its own engine and answers the output
 * and exit code, so {@code berth images ls}, {@code berth gc} or {@code berth tasks ls} print the
 * same thing with or without a daemon. Only commands that neither read local files nor stream are
 * forwarded ({@link #FORWARDED}); the others still need the root to themselves. Thread-safe.
 */
public final class Forwarding {
    private Forwarding() {
    }

    /** Commands (qualified names) a daemon runs for a client. */
    public static final Set<String> FORWARDED = Set.of(
            "berth images ls", "berth images rm", "berth images check", "berth images unpack",
            "berth content ls", "berth content verify", "berth content active",
            "berth snapshots ls", "berth snapshots info", "berth snapshots usage",
            "berth tasks ls", "berth tasks kill", "berth tasks pause", "berth tasks resume",
            "berth gc", "berth leases ls", "berth leases rm");

    private static final ThreadLocal<Engine> DAEMON_ENGINE = new ThreadLocal<>();

    /** The engine of the daemon this thread runs a forwarded command in, if any. */
    static Engine daemonEngine() {
        return DAEMON_ENGINE.get();
    }

    /**
     * Runs a forwarded command line in the daemon on {@code engine}; refuses anything not in
     * {@link #FORWARDED}. Returns exit code, standard output and standard error.
     */
    public static Map<String, Object> runInDaemon(Engine engine, List<String> args) {
        CommandLine probe = Main.treeFor(args.toArray(String[]::new));
        CommandLine.ParseResult pr;
        try {
            pr = probe.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw BerthException.invalid("%s", e.getMessage());
        }
        while (pr.hasSubcommand()) {
            pr = pr.subcommand();
        }
        String name = pr.commandSpec().qualifiedName();
        if (!FORWARDED.contains(name)) {
            throw BerthException.invalid("%s cannot run through the daemon; stop the daemon to use it on the store directly",
                    name);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        DAEMON_ENGINE.set(engine);
        int code;
        try {
            code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        } finally {
            DAEMON_ENGINE.remove();
        }
        return Map.of("code", code, "out", out.toString(), "err", err.toString());
    }
}
