package dev.berth.engine.netns;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.net.ProtocolFamily;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Creates sockets inside another network namespace (a container's {@code /proc/<pid>/ns/net}, a
 * pinned sandbox namespace) without a process of its own: one dedicated thread setns()es into the
 * namespace, creates the socket and setns()es back to where it started. A socket belongs to the
 * namespace it was created in for its whole life, so the caller then connects and talks on it from
 * any thread, which is how the prober reaches a container that has only loopback. Creating a socket
 * costs two setns calls and no fork.
 *
 * <p>Thread-safe: creations are serialised on the one thread (they take microseconds); connecting
 * and I/O happen on the caller's thread. A thread that could not return to its namespace is never
 * used again. {@link #close} ends the thread.
 */
public final class NamespaceSockets implements AutoCloseable {
    private ExecutorService thread;
    /** The dedicated thread's own network namespace, opened by it before it ever moved. */
    private int homeFd = -1;
    private boolean closed;

    /** A socket of {@code family}, not connected, in the network namespace {@code nsFile}. */
    public SocketChannel open(Path nsFile, ProtocolFamily family) throws IOException {
        Future<SocketChannel> f;
        synchronized (this) {
            if (closed) {
                throw BerthException.unavailable("namespace sockets are closed");
            }
            ExecutorService t = thread();
            f = t.submit(() -> inNamespace(nsFile, family));
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted opening a socket in " + nsFile, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot open a socket in " + nsFile + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    private ExecutorService thread() {
        if (thread == null) {
            thread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "netns-sockets");
                t.setDaemon(true);
                return t;
            });
            ExecutorService t = thread;
            try {
                homeFd = t.submit(() -> Sys.openNamespace(Path.of("/proc/thread-self/ns/net"))).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw BerthException.unavailable("interrupted starting the netns socket thread");
            } catch (ExecutionException e) {
                t.shutdownNow();
                thread = null;
                throw BerthException.unavailable("cannot open this thread's network namespace: %s",
                        e.getCause().getMessage());
            }
        }
        return thread;
    }

    /** Runs on the dedicated thread. */
    private SocketChannel inNamespace(Path nsFile, ProtocolFamily family) throws IOException {
        int fd;
        try {
            fd = Sys.openNamespace(nsFile);
        } catch (RuntimeException e) {
            throw new IOException("cannot open network namespace " + nsFile + " (has the task exited?): "
                    + e.getMessage(), e);
        }
        try {
            Sys.setns(fd, Sys.CLONE_NEWNET);
        } catch (RuntimeException e) {
            Sys.close(fd);
            throw new IOException("cannot enter network namespace " + nsFile + ": " + e.getMessage(), e);
        }
        try {
            return SocketChannel.open(family);
        } finally {
            Sys.close(fd);
            goHome();
        }
    }

    private void goHome() {
        try {
            Sys.setns(homeFd, Sys.CLONE_NEWNET);
        } catch (RuntimeException e) {
            // this thread is stuck in a foreign namespace: retire it so nothing else runs there
            synchronized (this) {
                thread.shutdown();
                thread = null;
                int old = homeFd;
                homeFd = -1;
                Sys.close(old);
            }
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            ExecutorService t = thread;
            int fd = homeFd;
            t.shutdown();
            thread = null;
            homeFd = -1;
            if (fd >= 0) {
                Sys.close(fd);
            }
        }
    }
}
