package dev.berth.controller.cli;

import dev.berth.controller.ControllerSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Options every command accepts; {@code --config} is inherited by all subcommands. */
public final class GlobalOptions {
    public static final Path DEFAULT_CONFIG = Path.of("/etc/berth/config.toml");

    @Option(names = {"-c", "--config"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "config.toml to read (default: ${DEFAULT-VALUE}; built-in defaults when that file is absent).",
            defaultValue = "/etc/berth/config.toml")
    Path config = DEFAULT_CONFIG;

    /** The global options of the command line that {@code spec} belongs to. */
    public static GlobalOptions of(picocli.CommandLine.Model.CommandSpec spec) {
        return ((Main) spec.root().userObject()).global;
    }

    /** Loads the effective config: the named file, or defaults when the default file is absent. */
    public Config load() {
        ConfigLoader loader = new ConfigLoader(ControllerSettings.schema());
        try {
            return loader.load(config);
        } catch (BerthException e) {
            if (e.category() == ErrorCategory.NOT_FOUND && config.equals(DEFAULT_CONFIG)) {
                return Config.defaults();
            }
            throw e;
        }
    }
}
