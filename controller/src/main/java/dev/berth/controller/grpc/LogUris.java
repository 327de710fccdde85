package dev.berth.controller.grpc;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log URIs a containerd client may give instead of FIFOs ({@code ctr run --log-uri}), taken as
 * containerd's runc shim takes them: the stdout URI decides where both streams go.
 * <ul>
 *   <li>{@code file:///path}: both streams appended to that file (created 0644 with its parent
 *       directories), raw bytes as the process wrote them.</li>
 *   <li>{@code binary:///path?k=v}: that program is started with the process's stdout readable on
 *       fd 3, stderr on fd 4 and a ready pipe on fd 5, {@code CONTAINER_ID} and
 *       {@code CONTAINER_NAMESPACE} in its environment and each query key (then its value, when
 *       not empty) as arguments. Berth waits for it to close or write fd 5 (at most
 *       {@link #READY}) before the task is created, and for it to exit (at most {@link #EXIT})
 *       once the process's output has ended.</li>
 * </ul>
 * Any other scheme is refused, naming the field. Stateless.
 */
final class LogUris {
    private static final Logger LOG = LoggerFactory.getLogger(LogUris.class);
    static final java.time.Duration READY = java.time.Duration.ofSeconds(10);
    static final java.time.Duration EXIT = java.time.Duration.ofSeconds(10);
    /** Opens fds 3 and 4 read-only on the two FIFOs (a writer already holds them, so this cannot block). */
    private static final String LAUNCH = "d=$1; shift; exec \"$@\" 3<\"$d/stdout\" 4<\"$d/stderr\" 5>&1 >/dev/null";

    private LogUris() {
    }

    static boolean isUri(String stdio) {
        return stdio != null && stdio.contains("://");
    }

    static ClientFifos open(String ns, String id, String stdout, String stderr) {
        String field = isUri(stdout) ? "stdout" : "stderr";
        String raw = isUri(stdout) ? stdout : stderr;
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw BerthException.invalid("%s: %s is not a valid log URI: %s", field, raw, e.getMessage());
        }
        String path = uri.getPath();
        if (path == null || !path.startsWith("/")) {
            throw BerthException.invalid("%s: log URI %s names no absolute path (file:///path or binary:///path)", field, raw);
        }
        return switch (uri.getScheme()) {
            case "file" -> file(field, Path.of(path));
            case "binary" -> binary(ns, id, field, Path.of(path), uri.getRawQuery());
            default -> throw BerthException.invalid("%s: log URI scheme %s of %s is not served; use file:// or binary://, "
                    + "or FIFO paths", field, uri.getScheme(), raw);
        };
    }

    private static ClientFifos file(String field, Path path) {
        try {
            Files.createDirectories(path.getParent());
            FileChannel c = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            return new ClientFifos(c, null, c, null, null);
        } catch (IOException e) {
            throw BerthException.invalid("%s: cannot open log file %s: %s", field, path, e.getMessage());
        }
    }

    private static ClientFifos binary(String ns, String id, String field, Path program, String query) {
        if (!Files.isExecutable(program)) {
            throw BerthException.invalid("%s: log binary %s is not an executable file", field, program);
        }
        Path dir = null;
        FileChannel out = null;
        FileChannel err = null;
        Process p = null;
        try {
            dir = Files.createTempDirectory("berth-log-");
            Path o = dir.resolve("stdout");
            Path e = dir.resolve("stderr");
            Sys.mknod(o, Sys.S_IFIFO | 0600, 0, 0);
            Sys.mknod(e, Sys.S_IFIFO | 0600, 0, 0);
            out = FileChannel.open(o, StandardOpenOption.READ, StandardOpenOption.WRITE);
            err = FileChannel.open(e, StandardOpenOption.READ, StandardOpenOption.WRITE);
            List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", LAUNCH, "sh", dir.toString(), program.toString()));
            argv.addAll(arguments(query));
            ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("CONTAINER_ID", id);
            pb.environment().put("CONTAINER_NAMESPACE", ns);
            p = pb.start();
            awaitReady(p, program);
            Process started = p;
            AtomicBoolean done = new AtomicBoolean();
            return new ClientFifos(out, null, err, null, () -> {
                if (done.compareAndSet(false, true)) {
                    awaitExit(started, program);
                }
            });
        } catch (IOException | RuntimeException x) {
            ClientFifos.closeQuietly(out);
            ClientFifos.closeQuietly(err);
            if (p != null) {
                p.destroyForcibly();
            }
            if (x instanceof BerthException b) {
                throw b;
            }
            throw BerthException.unavailable("%s: cannot start log binary %s: %s", field, program, x.getMessage());
        } finally {
            removeQuietly(dir);
        }
    }

    /** containerd's argument form: each query key, then its value when it has one. */
    static List<String> arguments(String rawQuery) {
        List<String> args = new ArrayList<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return args;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            args.add(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8));
            if (eq >= 0 && eq + 1 < pair.length()) {
                args.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return args;
    }

    /** The binary is ready once it closes or writes fd 5 (our read side sees a byte or end-of-file). */
    private static void awaitReady(Process p, Path program) throws IOException {
        InputStream ready = p.getInputStream();
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
            try {
                return ready.read();
            } catch (IOException e) {
                return -1;
            }
        }, LogUris::readyThread);
        try {
            first.get(READY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            throw BerthException.unavailable("log binary %s did not signal ready within %d s (it must close or write "
                    + "fd 5 once it reads fds 3 and 4)", program, READY.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw BerthException.unavailable("interrupted while waiting for log binary %s", program);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(e.getCause());
        }
        if (!p.isAlive() && p.exitValue() != 0) {
            throw BerthException.unavailable("log binary %s exited with status %d before the task started", program,
                    p.exitValue());
        }
    }

    /**
     * The ready read blocks until the binary acts (at most {@link #READY}, then it is killed), so it
     * gets a thread of its own: on the common pool it would hold one of few shared workers.
     */
    private static void readyThread(Runnable read) {
        Thread t = new Thread(read, "log-binary-ready");
        t.setDaemon(true);
        t.start();
    }

    private static void awaitExit(Process p, Path program) {
        try {
            if (!p.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("log binary {} still running {} s after its process's output ended; killing it", program,
                        EXIT.toSeconds());
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    private static void removeQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve("stdout"));
            Files.deleteIfExists(dir.resolve("stderr"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
