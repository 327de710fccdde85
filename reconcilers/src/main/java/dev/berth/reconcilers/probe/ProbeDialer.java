package dev.berth.reconcilers.probe;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;

/**
 * How TCP and HTTP probes reach a container: a connected socket to {@code port} at the container's
 * own address (or at {@code host} when the probe names one). Today a container without a sandbox
 * has a network namespace with only loopback, so {@link NetnsDialer} connects to 127.0.0.1 from
 * inside the task's namespace; once sandboxes give containers an address, a dialer that connects to
 * it from the host slots in here and nothing else changes. Implementations are thread-safe.
 */
public interface ProbeDialer {
    /**
     * A socket connected within {@code timeout}, or an IOException saying why not (refused, timed
     * out, the task's namespace is gone).
     *
     * @param pid host pid of the task's init process
     * @param host the probe's {@code host}, or null for the container's own address
     */
    Socket connect(long pid, String host, int port, Duration timeout) throws IOException;
}
