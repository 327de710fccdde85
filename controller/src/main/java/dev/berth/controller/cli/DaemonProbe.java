package dev.berth.controller.cli;

import dev.berth.controller.ControllerSettings;
import dev.berth.controller.api.ApiClient;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/** Asks a running daemon who it is, for {@code berth version}. */
final class DaemonProbe {
    private DaemonProbe() {
    }

    static String describe(Config config) {
        Path socket = Path.of(config.get(ControllerSettings.API_ADDRESS));
        try (ApiClient c = ApiClient.connect(socket)) {
            JsonNode v = c.get("/version");
            return "Version:  " + v.path("version").asText() + " (pid " + v.path("pid").asText() + ", " + socket + ")";
        } catch (BerthException e) {
            return "not reachable: " + e.getMessage();
        }
    }
}
