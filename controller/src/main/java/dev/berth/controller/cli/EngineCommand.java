package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Base of imperative commands that open the engine in-process under the root lock, as podman does,
 * when no daemon owns the root (see "Who owns the store" in DESIGN.md). A running daemon makes the
 * open fail with LOCKED naming its pid. Subclasses implement {@link #call(Engine)}; the engine is
 * closed afterwards, and containers keep running under their monitors.
 */
public abstract class EngineCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE}).")
    protected String namespace;

    /** Runs with the open engine; the return value is the process exit code. */
    protected abstract int call(Engine engine) throws Exception;

    @Override
    public Integer call() throws Exception {
        try (Engine engine = Engine.open(GlobalOptions.of(spec).load())) {
            return call(engine);
        }
    }

    protected java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected java.io.PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
