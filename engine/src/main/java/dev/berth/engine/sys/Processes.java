package dev.berth.engine.sys;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs short-lived external commands (runc, CNI plugins) from argument arrays and captures their
 * output. Stateless and thread-safe.
 */
public final class Processes {
    /**
     * What systemd hands the daemon for itself (Type=notify, socket activation, watchdog): a runtime
     * must not see it. {@code runc start} with {@code NOTIFY_SOCKET} set waits for the container's
     * own READY=1 on a socket that a create without that variable never made, and fails with "no such
     * file" (seen under berth.service, PackageOnSystemdIT).
     */
    static final List<String> SYSTEMD_ONLY_FOR_US = List.of("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID",
            "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC");

    private Processes() {
    }

    /** Exit status and captured output of one command. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** stderr, else stdout, trimmed, for an error message. */
        public String message() {
            String s = stderr.isBlank() ? stdout : stderr;
            return s.trim();
        }
    }

    /**
     * Runs {@code argv}, feeding {@code stdin} (may be null), and waits up to {@code timeout} (null:
     * forever); on timeout the process is killed and the result has exit code 137 with a note.
     */
    public static Result run(List<String> argv, byte[] stdin, Duration timeout) {
        return run(argv, null, stdin, timeout);
    }

    /**
     * {@link #run(List, byte[], Duration)} with {@code env} (may be null: inherit) as the whole
     * environment of the command, nothing inherited.
     */
    public static Result run(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout) {
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(argv);
            if (env != null) {
                pb.environment().clear();
                pb.environment().putAll(env);
            }
            SYSTEMD_ONLY_FOR_US.forEach(pb.environment()::remove);
            p = pb.start();
        } catch (IOException e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, "cannot run " + argv.get(0) + ": " + e.getMessage()
                    + "; is it installed and on PATH?", e);
        }
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()), Processes::spawnThread);
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin);
            }
        } catch (IOException e) {
            // the command closed its stdin early; its exit status tells the story
        }
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()), Processes::spawnThread);
        boolean timedOut = false;
        try {
            if (timeout == null) {
                p.waitFor();
            } else if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                p.destroyForcibly();
                p.waitFor();
            }
            String o = new String(out.join(), StandardCharsets.UTF_8);
            String e = new String(err.join(), StandardCharsets.UTF_8);
            if (timedOut) {
                e = e + "\n(killed after " + timeout + ")";
            }
            return new Result(p.exitValue(), o, e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BerthException(ErrorCategory.DEADLINE_EXCEEDED, "interrupted while running " + argv.get(0), e);
        }
    }

    private static void spawnThread(Runnable r) {
        Thread t = new Thread(r, "berth-process-io");
        t.setDaemon(true);
        t.start();
    }

    private static byte[] drain(InputStream in) {
        try (in) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            return buf.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether {@code pid} is a live (not zombie) process named {@code comm}; the name guards against
     * a pid reused after the process died.
     */
    public static boolean alive(long pid, String comm) {
        return startTicks(pid, comm) >= 0;
    }

    /**
     * The start time (field 22 of {@code /proc/<pid>/stat}, clock ticks after boot) of {@code pid} when
     * it is a live (not zombie) process named {@code comm}, else -1. A pid and its start time name one
     * process for good: a reused pid starts at another time. One read of one file.
     */
    public static long startTicks(long pid, String comm) {
        if (pid <= 0) {
            return -1;
        }
        String stat;
        try {
            stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            return -1;
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || !stat.regionMatches(open + 1, comm, 0, comm.length())
                || close != open + 1 + comm.length()) {
            return -1;
        }
        char state = stat.length() > close + 2 ? stat.charAt(close + 2) : '?';
        if (state == 'Z' || state == 'X') {
            return -1;
        }
        // fields after the name: state is field 3, start time field 22
        int field = 3;
        int i = close + 2;
        while (field < 22 && i >= 0) {
            i = stat.indexOf(' ', i);
            if (i >= 0) {
                i++;
                field++;
            }
        }
        if (i < 0) {
            return -1;
        }
        int end = stat.indexOf(' ', i);
        try {
            return Long.parseLong(stat, i, end < 0 ? stat.length() : end, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
