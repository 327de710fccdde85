package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.sys.NativeSpawn;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.sys.SysException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts conmon for a container create and reads its answer from the sync pipe.
 *
 * <p>conmon reports on the file descriptor named by {@code _OCI_SYNCPIPE}: one JSON line
 * {@code {"data": <container pid>}} once the runtime has created the container, or
 * {@code {"data": -1, "message": "<runtime stderr>"}} when it failed. The report comes from conmon's
 * daemonized child, possibly after the process Berth started has exited, so it travels through a
 * pipe of its own, given to conmon as fd 3 ({@link NativeSpawn}: the JDK's {@link ProcessBuilder}
 * passes only fds 0-2, and its reaper drains and closes a child's stdout pipe when the child exits,
 * which lost a late report). conmon gets no other descriptor of the daemon's; its stdout and stderr
 * go to a file in the bundle that keeps its own early errors. The first conmon process exits at once
 * after writing its pid file, and is reaped here; its daemonized child supervises the container.
 * Thread-safe.
 */
final class ConmonLauncher {
    private static final int SYNC_FD = 3;

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
        Map<String, String> childEnv = new java.util.LinkedHashMap<>(env);
        childEnv.put("_OCI_SYNCPIPE", Integer.toString(SYNC_FD));
        int[] sync = NativeSpawn.pipe();
        int pid;
        try {
            // conmon writes its "oom" marker into its working directory: make that the bundle (beside conmon.out)
            pid = NativeSpawn.spawn(argv, childEnv, bundle, List.of(new NativeSpawn.ChildFd.DevNull(),
                    new NativeSpawn.ChildFd.Append(outputFile), new NativeSpawn.ChildFd.Append(outputFile),
                    new NativeSpawn.ChildFd.Inherit(sync[1])), false);
        } catch (SysException e) {
            Sys.close(sync[0]);
            throw new BerthException(ErrorCategory.UNAVAILABLE, "cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        } finally {
            // conmon holds its own copy: the read end sees end of file once conmon and its children let go
            Sys.close(sync[1]);
        }
        String reply;
        try {
            reply = readLine(sync[0]);
        } finally {
            Sys.close(sync[0]);
        }
        if (NativeSpawn.waitExit(pid, Duration.ofSeconds(30)).isEmpty()) {
            Sys.kill(pid, 9);
            NativeSpawn.waitExit(pid, Duration.ofSeconds(5));
        }
        return parse(reply, outputFile);
    }

    /** Reads up to the first newline or end of file (every write end closed), or an error. */
    private static String readLine(int fd) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[256];
        int n;
        while ((n = Sys.read(fd, chunk)) > 0) {
            int nl = -1;
            for (int i = 0; i < n && nl < 0; i++) {
                if (chunk[i] == '\n') {
                    nl = i;
                }
            }
            buf.write(chunk, 0, nl < 0 ? n : nl);
            if (nl >= 0) {
                break;
            }
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
