package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Base of imperative commands that work on the store directly: loads the config, opens the engine
 * in-process under the root lock (see "Who owns the store" in DESIGN.md; a running daemon makes
 * this fail with LOCKED naming its pid), runs the command, and closes the engine; containers keep
 * running under their monitors. Subclasses override {@link #run(Engine)} and add their picocli
 * options and arguments. One instance per invocation; not thread-safe.
 */
public abstract class EngineCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    @Option(names = "--root", paramLabel = "DIR",
            description = "Berth root to open (overrides the config's root).")
    protected Path root;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE}).")
    protected String namespace;

    /** Does the command's work with the open engine; returns the exit code. */
    protected abstract int run(Engine engine) throws Exception;

    /** The effective config: {@code --config} file (or defaults) with {@code --root} applied. */
    protected Config config() {
        Config c = GlobalOptions.of(spec).load();
        if (root != null) {
            c = c.with(EngineSettings.ROOT, root.toAbsolutePath().toString());
        }
        return c;
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    @Override
    public Integer call() throws Exception {
        try {
            return onEngine(spec, root == null ? config() : null, config(), e -> {
                try {
                    return run(e);
                } catch (Exception ex) {
                    throw ex instanceof RuntimeException re ? re : new CommandFailure(ex);
                }
            });
        } catch (CommandFailure f) {
            throw (Exception) f.getCause();
        } finally {
            out().flush();
        }
    }

    /**
     * The one rule for where a store command runs: on the daemon's engine when this thread runs a
     * forwarded command in the daemon; forwarded to the daemon when {@code forwardable} (the config,
     * or null for "not with this command line", e.g. {@code --root}) names a daemon socket and the
     * command is one the daemon runs; else on an engine opened here. Returns the exit code.
     */
    static int onEngine(CommandSpec spec, Config forwardable, Config c, ToIntFunction<Engine> work) {
        Engine inDaemon = Forwarding.daemonEngine();
        if (inDaemon != null) {
            return work.applyAsInt(inDaemon);
        }
        if (forwardable != null && daemonOwns(spec, forwardable)) {
            return forward(spec, forwardable);
        }
        try (Engine engine = Engine.open(c)) {
            return work.applyAsInt(engine);
        }
    }

    /** Carries a checked exception of {@link #run(Engine)} through {@link #onEngine}. */
    private static final class CommandFailure extends RuntimeException {
        CommandFailure(Exception cause) {
            super(cause);
        }
    }

    /** Whether {@code spec}'s command is one a daemon runs and a daemon socket is there (see {@link Forwarding}). */
    private static boolean daemonOwns(CommandSpec spec, Config c) {
        return Forwarding.FORWARDED.contains(spec.qualifiedName())
                && dev.berth.controller.api.ApiClient.present(Clients.socket(c));
    }

    /** Has the daemon that owns the root run this command; prints its output and returns its exit code. */
    static int forward(CommandSpec spec, Config c) {
        List<String> args = spec.root().commandLine().getParseResult().originalArgs();
        Map<String, Object> body = Map.of("args", ThinClient.absolutized(args.toArray(String[]::new)),
                "tty", System.console() != null, "cwd", Path.of("").toAbsolutePath().toString());
        try (dev.berth.controller.api.ApiClient api = dev.berth.controller.api.ApiClient.connect(Clients.socket(c))) {
            tools.jackson.databind.JsonNode r = api.post("/cli",
                    tools.jackson.databind.json.JsonMapper.builder().build().writeValueAsString(body), "application/json");
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            out.print(r.path("out").asText());
            out.flush();
            err.print(r.path("err").asText());
            err.flush();
            return r.path("code").asInt(1);
        }
    }

    /** Formats a byte count as ctr does: 1.2 MiB, 512.0 B. */
    public static String humanSize(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
