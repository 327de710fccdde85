package dev.berth.controller.cli;

import dev.berth.controller.Daemon;
import dev.berth.controller.ControllerSettings;
import dev.berth.controller.SystemdNotify;
import dev.berth.controller.kubernetes.KubernetesSettings;
import dev.berth.engine.config.Config;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code berth daemon}: runs the node agent in the foreground until SIGTERM or SIGINT; SIGHUP re-reads
 * the config file and the manifest directory ({@link Daemon#reload}). Under systemd ({@code Type=notify})
 * it reports READY=1 once both API sockets accept and the stores are open, RELOADING=1 around a reload
 * and STOPPING=1 at shutdown ({@link SystemdNotify}).
 */
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
        Config c = effectiveConfig();
        SystemdNotify systemd = SystemdNotify.fromEnvironment();
        // commands of clients (berth get, pull, images ls, gc, ...) run here; see Forwarding. The route is
        // in place before the socket answers.
        Daemon d = Daemon.start(c, java.time.Clock.systemUTC(), daemon -> Forwarding.serve(daemon.api(), daemon.engine()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            systemd.stopping();
            d.close();
        }, "berth-shutdown"));
        // systemctl reload (ExecReload sends SIGHUP): the file is read again; containers are not touched
        // (under nohup SIGHUP arrives ignored, and the JVM would then keep it so: reload would do nothing)
        if (dev.berth.engine.sys.Sys.unignore(1)) {
            LoggerFactory.getLogger(DaemonCommand.class).info("SIGHUP was ignored when the daemon started "
                    + "(nohup?); it reloads the config now");
        }
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> reload(d, systemd));
        systemd.ready("serving on " + c.get(ControllerSettings.API_ADDRESS));
        d.awaitTermination();
    }

    private void reload(Daemon d, SystemdNotify systemd) {
        systemd.reloading();
        String status;
        try {
            var changes = d.reload(effectiveConfig(), java.time.Clock.systemUTC());
            status = "config reloaded" + (changes.applied().isEmpty() ? "" : "; applied " + changes.applied().size()
                    + " changed setting(s)") + (changes.pending().isEmpty() ? "" : "; restart to apply "
                    + changes.pending().size() + " changed setting(s)");
        } catch (RuntimeException e) {
            // a broken file keeps the running config: the message names file, line and key
            LoggerFactory.getLogger(DaemonCommand.class).error("reload refused, the running config stays: {}",
                    e.getMessage());
            status = "reload refused: " + e.getMessage();
        }
        systemd.ready(status);
    }

    /** The config file with this command's flags applied over it. */
    private Config effectiveConfig() {
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
            boolean apiSet = c.isSet(ControllerSettings.API_ADDRESS);
            c = c.with(dev.berth.engine.EngineSettings.STATE, state.toAbsolutePath().toString());
            if (!apiSet) {
                c = c.with(ControllerSettings.API_ADDRESS, state.resolve("berth.sock").toAbsolutePath().toString());
            }
        }
        return c;
    }
}
