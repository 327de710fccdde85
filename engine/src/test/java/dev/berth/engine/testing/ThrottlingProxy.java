package dev.berth.engine.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (the tests' {@link RegistryProcess}) that slows
 * down or stalls the responses it relays. It reads the HTTP/1.1 request heads going up (no
 * pipelining: each response follows its request) and asks its {@link Policy} how to relay the
 * response to each one: at full speed, trickled at a rate, or stalled for good after some bytes
 * (the connection stays open and silent until the client gives up). Every request it saw is kept
 * with its Range header. {@link #close} closes the listener and every relayed connection. Thread-safe.
 */
public final class ThrottlingProxy implements AutoCloseable {
    /** How the response to one request is relayed. */
    public record Behaviour(long bytesPerSecond, long stallAfter) {
        public static Behaviour pass() {
            return new Behaviour(Long.MAX_VALUE, Long.MAX_VALUE);
        }

        /** At about {@code bytesPerSecond}, headers included. */
        public static Behaviour trickle(long bytesPerSecond) {
            return new Behaviour(bytesPerSecond, Long.MAX_VALUE);
        }

        /** The first {@code bytes} of the response (headers included), then nothing, ever. */
        public static Behaviour stallAfter(long bytes) {
            return new Behaviour(Long.MAX_VALUE, bytes);
        }
    }

    /** Chooses the behaviour for a request; {@code nth} counts requests with the same request line from 1. */
    @FunctionalInterface
    public interface Policy {
        Behaviour choose(String requestLine, int nth);
    }

    /** A request seen going up: its request line ({@code GET /v2/... HTTP/1.1}) and Range header (or null). */
    public record Request(String line, String range) {
    }

    private final ServerSocket listener;
    private final int targetPort;
    private final Policy policy;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final ConcurrentHashMap<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private ThrottlingProxy(ServerSocket listener, int targetPort, Policy policy) {
        this.listener = listener;
        this.targetPort = targetPort;
        this.policy = policy;
    }

    /** Starts relaying 127.0.0.1:&lt;free port&gt; to 127.0.0.1:{@code targetPort}. */
    public static ThrottlingProxy start(int targetPort, Policy policy) {
        try {
            ThrottlingProxy p = new ThrottlingProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
                    targetPort, policy);
            Thread t = new Thread(p::acceptLoop, "throttling-proxy-" + p.port());
            t.setDaemon(true);
            t.start();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** {@code 127.0.0.1:<port>}, as a registry host. */
    public String host() {
        return "127.0.0.1:" + port();
    }

    /** The requests seen so far whose request line contains {@code text}, in order. */
    public List<Request> requests(String text) {
        return requests.stream().filter(r -> r.line().contains(text)).toList();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket down = listener.accept();
                Socket up = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(down);
                sockets.add(up);
                Connection c = new Connection(down, up);
                thread(c::relayRequests, "up");
                thread(c::relayResponses, "down");
            } catch (IOException e) {
                if (!closed) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private static void thread(Runnable r, String name) {
        Thread t = new Thread(r, "throttling-proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    /** One relayed connection: the request heads going up decide how the responses come down. */
    private final class Connection {
        private final Socket down;
        private final Socket up;
        private volatile Behaviour behaviour = Behaviour.pass();
        private volatile long relayed;

        Connection(Socket down, Socket up) {
            this.down = down;
            this.up = up;
        }

        void relayRequests() {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            try (InputStream in = down.getInputStream(); OutputStream out = up.getOutputStream()) {
                for (int b; (b = in.read()) >= 0; ) {
                    head.write(b);
                    if (b == '\n' && endsWithBlankLine(head)) {
                        seen(head.toString(StandardCharsets.ISO_8859_1));
                        out.write(head.toByteArray());
                        out.flush();
                        head.reset();
                    }
                }
            } catch (IOException e) {
                // either side closed
            } finally {
                closeBoth();
            }
        }

        private void seen(String text) {
            String[] lines = text.split("\r\n");
            String range = null;
            for (String l : lines) {
                if (l.toLowerCase(Locale.ROOT).startsWith("range:")) {
                    range = l.substring("range:".length()).trim();
                }
            }
            requests.add(new Request(lines[0], range));
            int nth = counts.computeIfAbsent(lines[0], k -> new AtomicInteger()).incrementAndGet();
            relayed = 0;
            behaviour = policy.choose(lines[0], nth);
        }

        void relayResponses() {
            byte[] buf = new byte[8192];
            try (InputStream in = up.getInputStream(); OutputStream out = down.getOutputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    int off = 0;
                    while (off < n) {
                        Behaviour b = behaviour;
                        long budget = b.stallAfter() - relayed;
                        if (budget <= 0) {
                            // stalled: hold the connection open and silent until the client drops it
                            while (!down.isClosed() && behaviour == b) {
                                Thread.sleep(50);
                            }
                            if (down.isClosed()) {
                                return;
                            }
                            continue;
                        }
                        int chunk = (int) Math.min(n - off, budget);
                        if (b.bytesPerSecond() != Long.MAX_VALUE) {
                            chunk = (int) Math.max(1, Math.min(chunk, b.bytesPerSecond() / 10));
                        }
                        out.write(buf, off, chunk);
                        out.flush();
                        relayed += chunk;
                        off += chunk;
                        if (b.bytesPerSecond() != Long.MAX_VALUE) {
                            Thread.sleep(Math.max(1, 1000L * chunk / b.bytesPerSecond()));
                        }
                    }
                }
            } catch (IOException e) {
                // either side closed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeBoth();
            }
        }

        private void closeBoth() {
            quietly(down);
            quietly(up);
        }
    }

    private static boolean endsWithBlankLine(ByteArrayOutputStream head) {
        byte[] b = head.toByteArray();
        int n = b.length;
        return n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n';
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.forEach(ThrottlingProxy::quietly);
    }
}
