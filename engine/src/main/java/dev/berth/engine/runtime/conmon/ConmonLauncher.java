package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.sys.Sys;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts conmon for a container create and reads its answer from the sync pipe.
 *
 * <p>conmon reports on the file descriptor named by {@code _OCI_SYNCPIPE}: one JSON line
 * {@code {"data": <container pid>}} once the runtime has created the container, or
 * {@code {"data": -1, "message": "<runtime stderr>"}} when it failed. The report comes from conmon's
 * daemonized child, possibly after the process Berth started has exited, so it cannot travel through
 * that process's stdout pipe: the JDK's process reaper drains and closes a child's stdout pipe when
 * the child exits, and a report written after that is lost ("conmon exited without reporting"). It
 * travels through a FIFO in the bundle instead ({@code sync.fifo}): a fixed {@code /bin/sh} line
 * opens it as fd 3 and execs conmon ({@link ProcessBuilder} hands a child only fds 0-2 and closes
 * every other descriptor of the JVM in the child, so the long-lived monitor holds none of the
 * daemon's files or sockets); conmon's stdout and stderr go to a file in the bundle that keeps its own
 * early errors. conmon's arguments travel as {@code "$@"}, never through the shell's parser.
 * (jnr-posix's posix_spawn would do the same without the shell but costs seconds of class generation
 * on first use, which every CLI invocation would pay.) The first conmon process exits at once after
 * writing its pid file; its daemonized child supervises the container. Thread-safe.
 */
final class ConmonLauncher {
    private static final int SYNC_FD = 3;
    /** $1 is the FIFO, the rest conmon's command line. */
    private static final String OPEN_FIFO_AS_FD3 = "f=$1; shift; exec \"$@\" 3>\"$f\"";

    private ConmonLauncher() {
    }

    /** conmon's command line for creating task {@code ns/id}. */
    static List<String> args(RuntimeOptions options, OciRuntimeCli cli, String ns, String id, Path bundle, Path log,
            Path exitDir, Path socketsDir, boolean conmonRotates, dev.berth.engine.runtime.TaskRuntime.Stdin stdin) {
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
        if (stdin == dev.berth.engine.runtime.TaskRuntime.Stdin.TERMINAL) {
            // conmon takes the pty master from runc's console socket, feeds it from its attach socket
            // (ConmonStdin), copies it to the log and resizes it on a line in <bundle>/ctl (ConmonConsole)
            a.addAll(List.of("-t", "--stdin"));
        } else if (stdin == dev.berth.engine.runtime.TaskRuntime.Stdin.PIPE) {
            // conmon keeps a pipe to the container's stdin, fed through its attach socket (ConmonStdin)
            a.add("--stdin");
        }
        for (String g : cli.globalArgs(ns)) {
            a.add("--runtime-arg");
            a.add(g);
        }
        a.addAll(List.of("--runtime-arg", "--log=" + bundle.resolve("log.json"), "--runtime-arg", "--log-format=json"));
        return a;
    }

    /** conmon's environment: only the daemon's PATH, so conmon and runc are found as the daemon finds them. */
    static java.util.Map<String, String> env() {
        return java.util.Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
    }

    /**
     * conmon's command line for exec {@code name} on a terminal in task {@code ns/id}: conmon runs
     * {@code runc exec --detach --console-socket} with {@code processJson} and takes the pty master
     * as for a task; {@code dir} (the exec's own) gets its attach socket, control FIFO, log and, in
     * {@link ConmonTerminalExec#exitDir}, its exit file (named {@code id}); the exec's pid goes to {@code pidFile}.
     */
    static List<String> execArgs(RuntimeOptions options, OciRuntimeCli cli, String ns, String id, String name,
            Path dir, Path pidFile, Path processJson, Path socketsDir) {
        List<String> a = new ArrayList<>(List.of(options.conmonBinary(), "--api-version", "1",
                "-c", id, "-u", java.util.UUID.randomUUID().toString().replace("-", ""), "-n", ns + "/" + id + "/" + name,
                "-r", cli.binary(), "-b", dir.toString(), "-p", pidFile.toString(),
                "--conmon-pidfile", dir.resolve("conmon.pid").toString(),
                "-l", "k8s-file:" + dir.resolve("log"), "--exit-dir", ConmonTerminalExec.exitDir(dir).toString(),
                "--socket-dir-path", socketsDir.toString(), "--log-level", "warning", "--no-sync-log",
                "--exec", "--exec-process-spec", processJson.toString(), "-t", "--stdin"));
        for (String g : cli.globalArgs(ns)) {
            a.add("--runtime-arg");
            a.add(g);
        }
        a.addAll(List.of("--runtime-arg", "--log=" + dir.resolve("log.json"), "--runtime-arg", "--log-format=json"));
        return a;
    }

    /**
     * Starts {@code argv} with exactly {@code env} and waits for conmon's report.
     *
     * @return the container's init pid
     * @throws BerthException FAILED_PRECONDITION with the runtime's message when the create failed
     */
    static long launch(List<String> argv, Map<String, String> env, Path outputFile) {
        Path bundle = outputFile.toAbsolutePath().getParent();
        Path fifo = bundle.resolve("sync.fifo");
        try {
            Files.deleteIfExists(fifo);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot remove %s: %s", fifo, e.getMessage());
        }
        Sys.mknod(fifo, Sys.S_IFIFO | 0600, 0, 0);
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", OPEN_FIFO_AS_FD3, "berth-conmon", fifo.toString()));
        cmd.addAll(argv);
        // conmon writes its "oom" marker into its working directory: make that the bundle (beside conmon.out)
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(bundle.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outputFile.toFile()))
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
        // opening the FIFO for reading waits for the shell to open it for writing; should the shell die
        // before that, a writer opened here (and closed at once) releases the wait with an empty report
        AtomicBoolean opened = new AtomicBoolean();
        p.onExit().thenRun(() -> {
            if (!opened.get()) {
                try (FileOutputStream release = new FileOutputStream(fifo.toFile())) {
                    // nothing to write
                } catch (IOException e) {
                    // the reader is gone too
                }
            }
        });
        String reply;
        try (InputStream in = new FileInputStream(fifo.toFile())) {
            opened.set(true);
            reply = readLine(in);
        } catch (IOException e) {
            p.destroyForcibly();
            throw BerthException.unavailable("reading conmon's sync FIFO %s: %s", fifo, e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(fifo);
            } catch (IOException e) {
                // a leftover FIFO is replaced by the next create
            }
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
