package dev.berth.controller.api;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Transport;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Client of the daemon's local API over its unix socket. Errors come back as {@link BerthException}
 * with the category matching the HTTP status and the server's message. Not thread-safe; use one per
 * command.
 */
public final class ApiClient implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Path socket;
    private final HttpClient http;

    private ApiClient(Path socket, HttpClient http) {
        this.socket = socket;
        this.http = http;
    }

    /** Whether a daemon socket exists at {@code socket} (it may still not answer). */
    public static boolean present(Path socket) {
        return Files.exists(socket);
    }

    /** Connects to the daemon at {@code socket}; fails with UNAVAILABLE when none listens there. */
    public static ApiClient connect(Path socket) {
        if (!Files.exists(socket)) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, ApiSocket.missing(socket));
        }
        try {
            HttpClient http = new HttpClient();
            http.setIdleTimeout(0);
            http.start();
            return new ApiClient(socket, http);
        } catch (Exception e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, "cannot reach the Berth daemon at " + socket, e);
        }
    }

    public JsonNode get(String path) {
        return send(request(HttpMethod.GET, path));
    }

    public JsonNode delete(String path) {
        return send(request(HttpMethod.DELETE, path));
    }

    public JsonNode post(String path, String body, String contentType) {
        return send(request(HttpMethod.POST, path).body(new StringRequestContent(contentType, body)));
    }

    /**
     * Reads a stream of JSON lines from {@code path}, handing each to {@code onLine} until it returns
     * false or the stream ends.
     */
    public void stream(String path, Predicate<JsonNode> onLine) {
        InputStreamResponseListener listener = new InputStreamResponseListener();
        request(HttpMethod.GET, path).timeout(0, TimeUnit.SECONDS).idleTimeout(0, TimeUnit.SECONDS).send(listener);
        try {
            Response r = listener.get(30, TimeUnit.SECONDS);
            try (InputStream in = listener.getInputStream();
                    BufferedReader br = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                if (r.getStatus() / 100 != 2) {
                    StringBuilder sb = new StringBuilder();
                    for (String l; (l = br.readLine()) != null; ) {
                        sb.append(l);
                    }
                    throw failure(path, r.getStatus(), sb.toString());
                }
                for (String line; (line = br.readLine()) != null; ) {
                    if (!line.isBlank() && !onLine.test(JSON.readTree(line))) {
                        r.abort(new InterruptedException("done"));
                        return;
                    }
                }
            }
        } catch (BerthException e) {
            throw e;
        } catch (Exception e) {
            throw unreachable(e, "broke the stream " + path);
        }
    }

    /** One line for the user: nobody listening (a stale socket file) is not a broken daemon. */
    private BerthException unreachable(Exception e, String what) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return new BerthException(ErrorCategory.UNAVAILABLE, "no Berth daemon is listening at " + socket
                        + " (the socket file is left from one that stopped; start one with `berth daemon`)", e);
            }
        }
        return new BerthException(ErrorCategory.UNAVAILABLE, "the Berth daemon at " + socket + " " + what + ": " + e, e);
    }

    private Request request(HttpMethod method, String path) {
        return http.newRequest("http://localhost" + path).method(method).transport(new Transport.TCPUnix(socket))
                .timeout(60, TimeUnit.SECONDS);
    }

    private JsonNode send(Request req) {
        String path = req.getPath();
        try {
            ContentResponse r = req.send();
            if (r.getStatus() / 100 != 2) {
                throw failure(path, r.getStatus(), r.getContentAsString());
            }
            return JSON.readTree(r.getContentAsString());
        } catch (BerthException e) {
            throw e;
        } catch (Exception e) {
            throw unreachable(e, "did not answer " + req.getMethod() + " " + path);
        }
    }

    private static BerthException failure(String path, int status, String body) {
        String message;
        try {
            message = JSON.readTree(body).path("message").asText(body);
        } catch (RuntimeException e) {
            message = body;
        }
        ErrorCategory c = switch (status) {
            case 404 -> ErrorCategory.NOT_FOUND;
            case 409 -> ErrorCategory.FAILED_PRECONDITION;
            case 422, 400 -> ErrorCategory.INVALID_ARGUMENT;
            case 403, 401 -> ErrorCategory.PERMISSION_DENIED;
            case 503 -> ErrorCategory.UNAVAILABLE;
            case 504 -> ErrorCategory.DEADLINE_EXCEEDED;
            default -> ErrorCategory.INTERNAL;
        };
        return new BerthException(c, message);
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
