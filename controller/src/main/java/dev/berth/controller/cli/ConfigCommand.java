package dev.berth.controller.cli;

import dev.berth.controller.ControllerSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigRenderer;
import picocli.CommandLine.Command;

/** {@code berth config default|dump}. */
@Command(name = "config", description = "Show Berth's configuration.",
        subcommands = {ConfigCommand.Default.class, ConfigCommand.Dump.class})
public final class ConfigCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "default", description = "Print the complete default config.toml, with comments.")
    static final class Default implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().getOut().print(new ConfigRenderer(ControllerSettings.schema()).render(Config.defaults(),
                    "Berth configuration: containerd's config.toml layout, version 3.\n"
                            + "Version 2 files (containerd 1.x) load too. Every key is shown with its default."));
        }
    }

    @Command(name = "dump", description = "Print the effective config: the --config file over the defaults.")
    static final class Dump implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            Config c = GlobalOptions.of(spec).load();
            String from = c.source().map(p -> "from " + p + " (layout version " + c.version() + ")")
                    .orElse("built-in defaults (no config file)");
            spec.commandLine().getOut().print(new ConfigRenderer(ControllerSettings.schema()).render(c,
                    "Effective Berth configuration, " + from + "."));
        }
    }
}
