package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
        Engine inDaemon = Forwarding.daemonEngine();
        if (inDaemon != null) {
            return run(inDaemon);
        }
        Config c = config();
        if (root == null && Forwarding.FORWARDED.contains(spec.qualifiedName())
                && dev.berth.controller.api.ApiClient.present(Clients.socket(c))) {
            return forward(c);
        }
        try (Engine engine = Engine.open(c)) {
            return run(engine);
        } finally {
            out().flush();
        }
    }

    /** Has the daemon that owns the root run this command; prints its output and returns its exit code. */
    private int forward(Config c) {
        List<String> args = spec.root().commandLine().getParseResult().originalArgs();
        Map<String, Object> body = Map.of("args", args);
        try (dev.berth.controller.api.ApiClient api = dev.berth.controller.api.ApiClient.connect(Clients.socket(c))) {
            tools.jackson.databind.JsonNode r = api.post("/cli",
                    tools.jackson.databind.json.JsonMapper.builder().build().writeValueAsString(body), "application/json");
            out().print(r.path("out").asText());
            out().flush();
            err().print(r.path("err").asText());
            err().flush();
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
