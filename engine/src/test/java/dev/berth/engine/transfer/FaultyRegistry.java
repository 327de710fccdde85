package dev.berth.engine.transfer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.testing.BuiltImage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deliberately misbehaving registry on 127.0.0.1 for fault tests: serves images from memory over
 * the distribution API (HEAD/GET of manifests and blobs, Range requests) and injects the faults a
 * test asks for per digest or tag. Records every request. Thread-safe.
 */
final class FaultyRegistry implements AutoCloseable {
    /** What to do wrong when serving a blob. */
    enum Fault {
        /** Flip a byte (size kept). */
        CORRUPT,
        /** First request: announce the full length, send half, close. Later requests behave. */
        TRUNCATE_ONCE,
        /** First request sends half; every later one sends headers and nothing else. */
        DROP_ALWAYS,
        /** First request: send half, then stall without closing. Later requests behave. */
        STALL_ONCE,
        /** Send half, then stall, every time. */
        STALL_ALWAYS,
        /** Answer 429 once, then behave. */
        TOO_MANY_ONCE,
        /** Answer 503 every time. */
        UNAVAILABLE_ALWAYS,
        /** Every request (Range honoured): 20 KB at once, then one byte every 200 ms. */
        TRICKLE_ALWAYS,
        /** Every request (Range honoured): 70 KB at once, then nothing. */
        BURST_THEN_STALL,
        /** Never send response headers (until the test ends). */
        NO_HEADERS
    }

    /** One request as received. */
    record Request(String method, String path, String range, Map<String, List<String>> headers) {
        /** The values of a request header (names compared case-insensitively). */
        List<String> header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue();
                }
            }
            return List.of();
        }
    }

    private static final Pattern PATH = Pattern.compile("/v2/(.+)/(manifests|blobs)/([^/?]+)");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, String> types = new ConcurrentHashMap<>();
    private final Map<String, String> tags = new ConcurrentHashMap<>();
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();
    private final Map<String, Integer> served = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile boolean headMethodNotAllowed;

    FaultyRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/v2/", this::handle);
        server.start();
    }

    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Serves every blob of {@code img}; its root answers to {@code tag}. */
    void add(BuiltImage img, String tag) {
        img.blobs().forEach((d, b) -> blobs.put(d.toString(), b));
        types.put(img.target().digest().toString(), img.target().mediaType());
        for (BuiltImage c : img.children()) {
            types.put(c.target().digest().toString(), c.target().mediaType());
        }
        tags.put(tag, img.target().digest().toString());
    }

    /** Serves raw manifest bytes with a Content-Type under {@code tag}. */
    Digest addRawManifest(String tag, byte[] body, String contentType) {
        Digest d = Digest.sha256(body);
        blobs.put(d.toString(), body);
        types.put(d.toString(), contentType);
        tags.put(tag, d.toString());
        return d;
    }

    void fault(Digest d, Fault f) {
        if (f == null) {
            faults.remove(d.toString());
        } else {
            faults.put(d.toString(), f);
        }
        served.remove(d.toString());
    }

    void headMethodNotAllowed(boolean v) {
        headMethodNotAllowed = v;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requestsFor(Digest d) {
        return requests.stream().filter(r -> r.path().endsWith("/" + d)).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String range = ex.getRequestHeaders().getFirst("Range");
            Map<String, List<String>> headers = new java.util.HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
            requests.add(new Request(ex.getRequestMethod(), path, range, Map.copyOf(headers)));
            if (path.equals("/v2/")) {
                send(ex, 200, new byte[0], "application/json", null, true);
                return;
            }
            Matcher m = PATH.matcher(path);
            if (!m.matches()) {
                send(ex, 404, new byte[0], "text/plain", null, true);
                return;
            }
            boolean head = ex.getRequestMethod().equals("HEAD");
            if (head && headMethodNotAllowed) {
                send(ex, 405, new byte[0], "text/plain", null, false);
                return;
            }
            String key = m.group(3);
            String digest = key.startsWith("sha256:") ? key : tags.get(key);
            byte[] body = digest == null ? null : blobs.get(digest);
            if (body == null) {
                byte[] err = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".getBytes();
                send(ex, 404, err, "application/json", null, head);
                return;
            }
            String type = m.group(2).equals("manifests") ? types.getOrDefault(digest, "application/json")
                    : "application/octet-stream";
            Fault f = faults.get(digest);
            int n = served.merge(digest, 1, Integer::sum);
            if (f != null && !head) {
                if (serveFault(ex, f, n, body, type, digest)) {
                    return;
                }
            }
            long offset = 0;
            if (range != null && range.startsWith("bytes=") && !head) {
                offset = Long.parseLong(range.substring(6, range.indexOf('-')));
            }
            if (offset > 0) {
                ex.getResponseHeaders().set("Content-Range", "bytes " + offset + "-" + (body.length - 1) + "/" + body.length);
                byte[] part = java.util.Arrays.copyOfRange(body, (int) offset, body.length);
                ex.getResponseHeaders().set("Content-Type", type);
                ex.sendResponseHeaders(206, part.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(part);
                }
                return;
            }
            send(ex, 200, body, type, digest, head);
        } catch (IOException | RuntimeException e) {
            // the client went away (expected in fault tests)
        }
    }

    /** Returns true when the fault produced the whole answer. */
    private boolean serveFault(HttpExchange ex, Fault f, int n, byte[] body, String type, String digest)
            throws IOException {
        switch (f) {
            case CORRUPT -> {
                byte[] bad = body.clone();
                bad[bad.length / 2] ^= 0x5a;
                send(ex, 200, bad, type, null, false);
                return true;
            }
            case TRUNCATE_ONCE, DROP_ALWAYS -> {
                if (f == Fault.TRUNCATE_ONCE && n > 1) {
                    return false;
                }
                ex.getResponseHeaders().set("Content-Type", type);
                ex.sendResponseHeaders(200, body.length);
                OutputStream o = ex.getResponseBody();
                if (n == 1) {
                    o.write(body, 0, body.length / 2);
                }
                o.flush();
                throw new IOException("dropping the connection on purpose");
            }
            case STALL_ONCE, STALL_ALWAYS -> {
                if (f == Fault.STALL_ONCE && n > 1) {
                    return false;
                }
                ex.getResponseHeaders().set("Content-Type", type);
                ex.sendResponseHeaders(200, body.length);
                OutputStream o = ex.getResponseBody();
                o.write(body, 0, body.length / 2);
                o.flush();
                sleep();
                return true;
            }
            case TRICKLE_ALWAYS, BURST_THEN_STALL -> {
                String range = ex.getRequestHeaders().getFirst("Range");
                int offset = range == null ? 0 : Integer.parseInt(range.substring(6, range.indexOf('-')));
                ex.getResponseHeaders().set("Content-Type", type);
                if (offset > 0) {
                    ex.getResponseHeaders().set("Content-Range", "bytes " + offset + "-" + (body.length - 1) + "/"
                            + body.length);
                }
                ex.sendResponseHeaders(offset > 0 ? 206 : 200, body.length - offset);
                OutputStream o = ex.getResponseBody();
                int burst = Math.min(f == Fault.TRICKLE_ALWAYS ? 20_000 : 70_000, body.length - offset);
                o.write(body, offset, burst);
                o.flush();
                if (f == Fault.BURST_THEN_STALL) {
                    sleep();
                    return true;
                }
                for (int i = offset + burst; i < body.length; i++) {
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return true;
                    }
                    o.write(body[i]);
                    o.flush();
                }
                return true;
            }
            case TOO_MANY_ONCE -> {
                if (n > 1) {
                    return false;
                }
                send(ex, 429, new byte[0], "text/plain", null, false);
                return true;
            }
            case UNAVAILABLE_ALWAYS -> {
                send(ex, 503, new byte[0], "text/plain", null, false);
                return true;
            }
            case NO_HEADERS -> {
                sleep();
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body, String type, String digest, boolean head)
            throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Docker-Distribution-API-Version", "registry/2.0");
        if (digest != null) {
            ex.getResponseHeaders().set("Docker-Content-Digest", digest);
        }
        if (head) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
