package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.OciJson;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts conmon for a container create and reads its answer from the sync pipe.
 *
 * <p>conmon reports on the file descriptor named by {@code _OCI_SYNCPIPE}: one JSON line
 * {@code {"data": <container pid>}} once the runtime has created the container, or
 * {@code {"data": -1, "message": "<runtime stderr>"}} when it failed. {@link ProcessBuilder} hands a
 * child only fds 0-2 (and closes every other descriptor of the JVM in the child, so the long-lived
 * monitor holds none of the daemon's files or sockets), so a fixed {@code /bin/sh} line moves the
 * child's stdout pipe to fd 3 and points stdout at stderr, which is a file in the bundle that keeps
 * conmon's own early errors. conmon's arguments travel as {@code "$@"}, never through the shell's
 * parser. (jnr-posix's posix_spawn would do the same without the shell but costs seconds of class
 * generation on first use, which every CLI invocation would pay.) The first conmon process exits at
 * once after writing its pid file; its daemonized child supervises the container. Thread-safe.
 */
final class ConmonLauncher {
    private static final int SYNC_FD = 3;
    private static final String MOVE_STDOUT_TO_FD3 = "exec \"$@\" 3>&1 1>&2";

    private ConmonLauncher() {
    }

    /** conmon's command line for creating task {@code ns/id}. */
    static List<String> args(RuntimeOptions options, OciRuntimeCli cli, String ns, String id, Path bundle, Path log,
            Path exitDir, Path socketsDir, boolean conmonRotates) {
        List<String> a = new ArrayList<>(List.of(options.conmonBinary(), "--api-version", "1",
                "-c", id, "-u", java.util.UUID.randomUUID().toString().replace("-", ""), "-n", ns + "/" + id,
                "-r", cli.binary(), "-b", bundle.toString(), "-p", bundle.resolve("init.pid").toString(),
                "--conmon-pidfile", bundle.resolve("conmon.pid").toString(),
                "-l", "k8s-file:" + log, "--exit-dir", exitDir.toString(),
                "--socket-dir-path", socketsDir.toString(), "--log-level", "warning",
                // conmon would fsync the log before writing the exit file: under I/O load that delays the
                // exit by seconds, and containerd's loggers do not fsync either
                "--no-sync-log"));
        if (options.logMaxSize() > 0) {
            a.addAll(List.of("--log-size-max", Long.toString(options.logMaxSize())));
            if (conmonRotates) {
                a.addAll(List.of("--log-rotate", "--log-max-files", "1"));
            }
        }
        if (options.systemdCgroup()) {
            a.add("-s");
        }
        for (String g : cli.globalArgs(ns)) {
            a.add("--runtime-arg");
            a.add(g);
        }
        a.addAll(List.of("--runtime-arg", "--log=" + bundle.resolve("log.json"), "--runtime-arg", "--log-format=json"));
        return a;
    }

    /**
     * Starts {@code argv} with exactly {@code env} and waits for conmon's report.
     *
     * @return the container's init pid
     * @throws BerthException FAILED_PRECONDITION with the runtime's message when the create failed
     */
    static long launch(List<String> argv, Map<String, String> env, Path outputFile) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", MOVE_STDOUT_TO_FD3, "berth-conmon"));
        cmd.addAll(argv);
        // conmon writes its "oom" marker into its working directory: make that the bundle (beside conmon.out)
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(outputFile.toAbsolutePath().getParent().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.appendTo(outputFile.toFile()));
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.environment().put("_OCI_SYNCPIPE", Integer.toString(SYNC_FD));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, "cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        }
        String reply;
        try (InputStream in = p.getInputStream()) {
            reply = readLine(in);
        } catch (IOException e) {
            p.destroyForcibly();
            throw BerthException.unavailable("reading conmon's sync pipe: %s", e.getMessage());
        }
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return parse(reply, outputFile);
    }

    /** Reads up to the first newline or EOF (the write end closes when conmon exits). */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            buf.write(b);
        }
        return buf.toString(StandardCharsets.UTF_8).trim();
    }

    private static long parse(String reply, Path outputFile) {
        if (reply.isEmpty()) {
            String out = "";
            try {
                out = Files.exists(outputFile) ? Files.readString(outputFile).trim() : "";
            } catch (IOException e) {
                // nothing more to report
            }
            throw new BerthException(ErrorCategory.FAILED_PRECONDITION,
                    "conmon exited without reporting the container create" + (out.isEmpty() ? "" : ": " + out));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = OciJson.MAPPER.readValue(reply, Map.class);
        long data = m.get("data") instanceof Number n ? n.longValue() : -1;
        if (data <= 0) {
            Object msg = m.get("message");
            throw new BerthException(ErrorCategory.FAILED_PRECONDITION,
                    msg == null ? "the OCI runtime failed to create the container" : msg.toString().trim());
        }
        return data;
    }
}
