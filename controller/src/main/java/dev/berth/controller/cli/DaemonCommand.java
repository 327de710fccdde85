package dev.berth.controller.cli;

import dev.berth.controller.Daemon;
import dev.berth.controller.ControllerSettings;
import dev.berth.controller.kubernetes.KubernetesSettings;
import dev.berth.engine.config.Config;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code berth daemon}: runs the node agent in the foreground until SIGTERM or SIGINT. */
@Command(name = "daemon", description = "Run the Berth daemon in the foreground.")
public final class DaemonCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--manifests", paramLabel = "DIR", description = "Manifest directory (overrides manifest_dir).")
    Path manifests;

    @Option(names = "--root", paramLabel = "DIR", description = "Persistent data directory (overrides root).")
    Path root;

    @Option(names = "--state", paramLabel = "DIR", description = "Runtime state directory (overrides state).")
    Path state;

    @Option(names = "--kubernetes", description = "Take specs for this node from the Kubernetes API and write "
            + "status back (overrides kubernetes in [plugins.\"dev.berth.v1\"]).")
    boolean kubernetes;

    @Override
    public void run() {
        Config c = GlobalOptions.of(spec).load();
        if (kubernetes) {
            c = c.with(KubernetesSettings.ENABLED, true);
        }
        if (manifests != null) {
            c = c.with(ControllerSettings.MANIFEST_DIR, manifests.toAbsolutePath().toString());
        }
        if (root != null) {
            c = c.with(dev.berth.engine.EngineSettings.ROOT, root.toAbsolutePath().toString());
        }
        if (state != null) {
            c = c.with(dev.berth.engine.EngineSettings.STATE, state.toAbsolutePath().toString());
            if (!GlobalOptions.of(spec).load().isSet(ControllerSettings.API_ADDRESS)) {
                c = c.with(ControllerSettings.API_ADDRESS, state.resolve("berth.sock").toAbsolutePath().toString());
            }
        }
        // commands of clients (berth get, pull, images ls, gc, ...) run here; see Forwarding. The route is
        // in place before the socket answers.
        Daemon d = Daemon.start(c, java.time.Clock.systemUTC(), daemon -> Forwarding.serve(daemon.api(), daemon.engine()));
        Runtime.getRuntime().addShutdownHook(new Thread(d::close, "berth-shutdown"));
        d.awaitTermination();
    }
}
