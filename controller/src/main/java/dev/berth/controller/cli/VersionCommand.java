package dev.berth.controller.cli;

import dev.berth.controller.BuildInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code berth version}: the client's version, and the daemon's when one answers. */
@Command(name = "version", description = "Print the client version, and the daemon's when one is reachable.")
public final class VersionCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The version baked into the jar at build time. */
    public static String clientVersion() {
        return BuildInfo.version();
    }

    @Override
    public void run() {
        spec.commandLine().getOut().print(ThinClient.versionReport(DaemonProbe.describe(GlobalOptions.of(spec).load())));
    }

    /**
     * {@code berth --version}: one line, as {@code containerd --version} prints it (name, module,
     * version, source revision).
     */
    public static String versionLine() {
        return "berth berth.dev " + clientVersion() + " " + BuildInfo.revision();
    }

    /** Supplies {@code berth --version}. */
    public static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {versionLine()};
        }
    }
}
