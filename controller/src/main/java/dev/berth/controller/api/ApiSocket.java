package dev.berth.controller.api;

import java.nio.file.Path;

/**
 * What a client says about the daemon's local API socket. JDK classes only: the thin client
 * ({@code ThinClient}) uses it on its start-up path, where nothing else of the API is loaded.
 */
public final class ApiSocket {
    private ApiSocket() {
    }

    /** The message for a socket that does not exist: no daemon runs there. */
    public static String missing(Path socket) {
        return "no Berth daemon at " + socket + " (start one with `berth daemon`)";
    }
}
