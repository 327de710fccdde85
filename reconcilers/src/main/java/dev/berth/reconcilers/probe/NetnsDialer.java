package dev.berth.reconcilers.probe;

import dev.berth.engine.netns.NamespaceSockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A {@link ProbeDialer} that opens the probe's socket inside the task's network namespace
 * ({@code /proc/<pid>/ns/net}) and connects to loopback there: what reaches a server listening on
 * 127.0.0.1 or 0.0.0.0 in a container that has no address of its own. A probe that names a host
 * connects to it from the host's namespace, as kubelet does. Thread-safe.
 */
public final class NetnsDialer implements ProbeDialer, AutoCloseable {
    private static final byte[] LOOPBACK = {127, 0, 0, 1};
    private final NamespaceSockets sockets = new NamespaceSockets();

    @Override
    public Socket connect(long pid, String host, int port, Duration timeout) throws IOException {
        int millis = (int) Math.max(1, timeout.toMillis());
        if (host != null) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(host, port), millis);
                return s;
            } catch (IOException e) {
                s.close();
                throw e;
            }
        }
        SocketChannel ch = sockets.open(Path.of("/proc", Long.toString(pid), "ns", "net"), StandardProtocolFamily.INET);
        try {
            Socket s = ch.socket();
            s.connect(new InetSocketAddress(InetAddress.getByAddress(LOOPBACK), port), millis);
            return s;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void close() {
        sockets.close();
    }
}
