package dev.berth.controller.cli;

import dev.berth.controller.ControllerSettings;
import dev.berth.controller.api.ApiClient;
import dev.berth.engine.config.Config;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** Opens the local API client for a command from its global options. */
final class Clients {
    private Clients() {
    }

    static Path socket(Config c) {
        return Path.of(c.get(ControllerSettings.API_ADDRESS));
    }

    static ApiClient connect(CommandSpec spec) {
        return ApiClient.connect(socket(GlobalOptions.of(spec).load()));
    }
}
