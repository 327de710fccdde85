package dev.berth.controller.api;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import tools.jackson.databind.json.JsonMapper;

/**
 * The daemon's local API: HTTP/JSON on a unix socket (mode 0660), Kubernetes-style paths. Routes are
 * registered by exact path before {@link #start()}. Thread-safe once started.
 */
public final class ApiServer implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path socket;
    private final Map<String, Supplier<Object>> getRoutes = new LinkedHashMap<>();
    private Server server;

    public ApiServer(Path socket) {
        this.socket = socket;
    }

    /** Serves {@code GET path} with the JSON form of what {@code body} returns. */
    public ApiServer get(String path, Supplier<Object> body) {
        getRoutes.put(path, body);
        return this;
    }

    public void start() {
        try {
            Files.createDirectories(socket.toAbsolutePath().getParent());
            Files.deleteIfExists(socket);
            server = new Server();
            UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
            connector.setUnixDomainPath(socket);
            server.addConnector(connector);
            server.setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    return route(request, response, callback);
                }
            });
            server.start();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        } catch (Exception e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE,
                    "cannot serve the local API on " + socket + ": " + e.getMessage(), e);
        }
    }

    private boolean route(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        Supplier<Object> r = "GET".equals(request.getMethod()) ? getRoutes.get(path) : null;
        if (r == null) {
            write(response, callback, HttpStatus.NOT_FOUND_404,
                    Map.of("kind", "Status", "status", "Failure", "reason", "NotFound",
                            "message", request.getMethod() + " " + path + " is not part of the local API"));
            return true;
        }
        write(response, callback, HttpStatus.OK_200, r.get());
        return true;
    }

    private static void write(Response response, Callback callback, int status, Object body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, JSON.writeValueAsString(body) + "\n", callback);
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

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
