package dev.berth.controller.api;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.Transport;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Client of the daemon's local API over its unix socket. Not thread-safe; use one per command. */
public final class ApiClient implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Path socket;
    private final HttpClient http;

    private ApiClient(Path socket, HttpClient http) {
        this.socket = socket;
        this.http = http;
    }

    /** Connects to the daemon at {@code socket}; fails with UNAVAILABLE when none listens there. */
    public static ApiClient connect(Path socket) {
        if (!Files.exists(socket)) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, "no Berth daemon at " + socket
                    + " (start one with `berth daemon`)");
        }
        try {
            HttpClient http = new HttpClient();
            http.start();
            return new ApiClient(socket, http);
        } catch (Exception e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, "cannot reach the Berth daemon at " + socket, e);
        }
    }

    public JsonNode get(String path) {
        try {
            ContentResponse r = http.newRequest("http://localhost" + path).transport(new Transport.TCPUnix(socket)).timeout(10, TimeUnit.SECONDS).send();
            JsonNode body = JSON.readTree(r.getContentAsString());
            if (r.getStatus() / 100 != 2) {
                throw new BerthException(r.getStatus() == 404 ? ErrorCategory.NOT_FOUND : ErrorCategory.INTERNAL,
                        "GET " + path + ": " + body.path("message").asText(r.getReason()));
            }
            return body;
        } catch (BerthException e) {
            throw e;
        } catch (Exception e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE,
                    "the Berth daemon at " + socket + " did not answer GET " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            throw BerthException.internal("closing the API client", e);
        }
    }
}
