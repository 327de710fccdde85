package dev.berth.controller.api;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The daemon's local API: HTTP/JSON on a unix socket (mode 0660 from its first moment), Kubernetes-style paths. Routes are
 * method + path pattern ({@code /apis/berth.dev/v1alpha1/namespaces/{namespace}/{plural}/{name}}),
 * registered before {@link #start()}; the first registered match wins. A handler's
 * {@link BerthException} becomes a Kubernetes Status with the matching HTTP code. Thread-safe once
 * started.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Told of every request served: method, the matched route's pattern (or "unmatched"), status, time. */
    @FunctionalInterface
    public interface RequestObserver {
        void served(String method, String route, int status, long nanos);
    }

    private volatile RequestObserver observer = (m, r, s, n) -> {
    };

    /** Sets the one observer of requests (the daemon's metrics). */
    public ApiServer observer(RequestObserver observer) {
        this.observer = java.util.Objects.requireNonNull(observer, "observer");
        return this;
    }

    private record Route(String method, String[] parts, Function<ApiRequest, ApiResponse> handler) {
    }

    private final Path socket;
    private final List<Route> routes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Server server;

    public ApiServer(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    /** Serves {@code GET path} with the JSON form of what {@code body} returns. */
    public ApiServer get(String path, java.util.function.Supplier<Object> body) {
        return route("GET", path, r -> ApiResponse.ok(body.get()));
    }

    /** Registers a handler for {@code method} on {@code pattern} ({@code {name}} segments are parameters). */
    public ApiServer route(String method, String pattern, Function<ApiRequest, ApiResponse> handler) {
        routes.add(new Route(method, split(pattern), handler));
        return this;
    }

    /** Binds the socket with its final mode from the start ({@link StagedSocket}) and serves. */
    public void start() {
        try {
            StagedSocket.bind(socket, staged -> {
                QueuedThreadPool pool = new QueuedThreadPool(64, 2);
                pool.setName("api");
                pool.setDaemon(true);
                server = new Server(pool);
                UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
                connector.setUnixDomainPath(staged);
                server.addConnector(connector);
                server.setHandler(new Handler.Abstract() {
                    @Override
                    public boolean handle(Request request, Response response, Callback callback) throws Exception {
                        serve(request, response, callback);
                        return true;
                    }
                });
                server.start();
            });
        } catch (Exception e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE,
                    "cannot serve the local API on " + socket + ": " + e.getMessage(), e);
        }
    }

    private void serve(Request request, Response response, Callback callback) throws Exception {
        long start = System.nanoTime();
        String path = Request.getPathInContext(request);
        String[] parts = split(path);
        Route match = null;
        Map<String, String> params = new HashMap<>();
        boolean pathKnown = false;
        for (Route r : routes) {
            Map<String, String> p = match(r.parts, parts);
            if (p != null) {
                pathKnown = true;
                if (r.method.equals(request.getMethod())) {
                    match = r;
                    params = p;
                    break;
                }
            }
        }
        ApiResponse answer;
        if (match == null) {
            answer = pathKnown
                    ? ApiResponse.failure(405, "MethodNotAllowed", request.getMethod() + " is not allowed on " + path)
                    : ApiResponse.failure(404, "NotFound", request.getMethod() + " " + path + " is not part of the local API");
        } else {
            Map<String, String> query = new LinkedHashMap<>();
            Fields fields = Request.extractQueryParameters(request);
            fields.forEach(f -> query.put(f.getName(), f.getValue()));
            ByteBuffer buf = Content.Source.asByteBuffer(request);
            byte[] body = new byte[buf.remaining()];
            buf.get(body);
            ApiRequest req = new ApiRequest(request.getMethod(), path, params, query, body);
            answer = invoke(match, req);
        }
        String route = match == null ? "unmatched" : "/" + String.join("/", match.parts);
        if (answer.streamer() != null) {
            // a stream's time is the client's; count it when it starts
            observer.served(request.getMethod(), route, 200, System.nanoTime() - start);
            stream(response, callback, answer.streamer());
        } else {
            write(response, callback, answer.status(), answer.body());
            observer.served(request.getMethod(), route, answer.status(), System.nanoTime() - start);
        }
    }

    private static ApiResponse invoke(Route route, ApiRequest req) {
        try {
            return route.handler.apply(req);
        } catch (BerthException e) {
            return switch (e.category()) {
                case NOT_FOUND -> ApiResponse.failure(404, "NotFound", e.getMessage());
                case ALREADY_EXISTS -> ApiResponse.failure(409, "AlreadyExists", e.getMessage());
                case INVALID_ARGUMENT -> ApiResponse.failure(422, "Invalid", e.getMessage());
                case FAILED_PRECONDITION, LOCKED -> ApiResponse.failure(409, "Conflict", e.getMessage());
                case PERMISSION_DENIED -> ApiResponse.failure(403, "Forbidden", e.getMessage());
                case UNAVAILABLE -> ApiResponse.failure(503, "ServiceUnavailable", e.getMessage());
                case DEADLINE_EXCEEDED -> ApiResponse.failure(504, "Timeout", e.getMessage());
                default -> ApiResponse.failure(500, "InternalError", e.getMessage());
            };
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", req.method(), req.path(), e);
            return ApiResponse.failure(500, "InternalError", e.toString());
        }
    }

    private static void stream(Response response, Callback callback, ApiResponse.Streamer streamer) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        ApiResponse.Sink sink = new ApiResponse.Sink() {
            @Override
            public void send(Object line) throws Exception {
                sendText(JSON.writeValueAsString(line) + "\n");
            }

            @Override
            public void sendText(String text) throws Exception {
                byte[] b = text.getBytes(StandardCharsets.UTF_8);
                sendBytes(b, 0, b.length);
            }

            @Override
            public void sendBytes(byte[] b, int off, int len) throws Exception {
                try (Blocker.Callback cb = Blocker.callback()) {
                    response.write(false, ByteBuffer.wrap(b, off, len), cb);
                    cb.block();
                }
            }
        };
        try {
            streamer.stream(sink);
            response.write(true, null, callback);
        } catch (Exception e) {
            LOG.debug("stream ended: {}", e.toString());
            callback.failed(e);
        }
    }

    private static void write(Response response, Callback callback, int status, Object body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, JSON.writeValueAsString(body) + "\n", callback);
    }

    private static String[] split(String path) {
        return java.util.Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }

    private static Map<String, String> match(String[] pattern, String[] parts) {
        if (pattern.length != parts.length) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < pattern.length; i++) {
            String p = pattern[i];
            if (p.startsWith("{") && p.endsWith("}")) {
                params.put(p.substring(1, p.length() - 1), parts[i]);
            } else if (!p.equals(parts[i])) {
                return null;
            }
        }
        return params;
    }

    @Override
    public void close() {
        try {
            if (server != null) {
                server.stop();
            }
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            throw BerthException.internal("removing " + socket, e);
        } catch (Exception e) {
            throw BerthException.internal("stopping the local API", e);
        }
    }
}
