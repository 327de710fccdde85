package dev.berth.engine.sys;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Runs short-lived external commands (runc, CNI plugins) from argument arrays and captures their
 * output; they start through {@link NativeSpawn} with the three pipes as their only descriptors.
 * Stateless and thread-safe.
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
        return start(argv, env, in -> {
            try (in) {
                if (stdin != null) {
                    in.write(stdin);
                }
            } catch (IOException e) {
                // the command closed its stdin early; its exit status tells the story
            }
        }, timeout);
    }

    /**
     * {@link #run(List, byte[], Duration)} with the command's stdin handed to {@code stdin} once it
     * runs, before its output is drained: the consumer writes and closes it, on this thread or later
     * on another (an exec fed from a client's FIFO), and the command reads end of file once it is closed.
     */
    public static Result runFeeding(List<String> argv, java.util.function.Consumer<OutputStream> stdin, Duration timeout) {
        return start(argv, null, stdin, timeout);
    }

    private static Result start(List<String> argv, Map<String, String> env, java.util.function.Consumer<OutputStream> stdin,
            Duration timeout) {
        Map<String, String> childEnv = new java.util.LinkedHashMap<>(env != null ? env : System.getenv());
        SYSTEMD_ONLY_FOR_US.forEach(childEnv::remove);
        int[] in = NativeSpawn.pipe();
        int[] out = NativeSpawn.pipe();
        int[] err = NativeSpawn.pipe();
        int pid;
        try {
            pid = NativeSpawn.spawn(argv, childEnv, null, List.of(new NativeSpawn.ChildFd.Inherit(in[0]),
                    new NativeSpawn.ChildFd.Inherit(out[1]), new NativeSpawn.ChildFd.Inherit(err[1])), false);
        } catch (SysException e) {
            Sys.close(in[1]);
            Sys.close(out[0]);
            Sys.close(err[0]);
            throw new BerthException(ErrorCategory.UNAVAILABLE, "cannot run " + argv.get(0) + ": " + e.getMessage()
                    + "; is it installed and on PATH?", e);
        } finally {
            // the child has its copies; ours would keep its stdin open and its output from ending
            Sys.close(in[0]);
            Sys.close(out[1]);
            Sys.close(err[1]);
        }
        CompletableFuture<byte[]> errBytes = CompletableFuture.supplyAsync(() -> drain(err[0]), IO);
        CompletableFuture<byte[]> outBytes = CompletableFuture.supplyAsync(() -> drain(out[0]), IO);
        stdin.accept(new FdOutput(in[1]));
        java.util.OptionalInt code = NativeSpawn.waitExit(pid, timeout);
        boolean timedOut = code.isEmpty();
        if (timedOut) {
            Sys.kill(pid, 9);
            code = NativeSpawn.waitExit(pid, null);
        }
        String o = new String(outBytes.join(), StandardCharsets.UTF_8);
        String e = new String(errBytes.join(), StandardCharsets.UTF_8);
        if (timedOut) {
            e = e + "\n(killed after " + timeout + ")";
        }
        return new Result(code.getAsInt(), o, e);
    }

    /** Threads that drain commands' output: idle ones are kept a while, so most commands start none. */
    private static final java.util.concurrent.ExecutorService IO = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "berth-process-io");
        t.setDaemon(true);
        return t;
    });

    /** Reads {@code fd} to end of file (every write end closed) and closes it. */
    private static byte[] drain(int fd) {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            int n;
            while ((n = Sys.read(fd, chunk)) > 0) {
                buf.write(chunk, 0, n);
            }
            return buf.toByteArray();
        } finally {
            Sys.close(fd);
        }
    }

    /** The write end of a child's stdin; closing it is the child's end of file. Not thread-safe. */
    private static final class FdOutput extends OutputStream {
        private final int fd;
        private boolean closed;

        FdOutput(int fd) {
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stdin of the command is closed");
            }
            try {
                Sys.write(fd, off == 0 ? b : java.util.Arrays.copyOfRange(b, off, off + len), len, "the command's stdin");
            } catch (SysException e) {
                // the command has exited or closed its stdin (EPIPE)
                throw new IOException(e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                Sys.close(fd);
            }
        }
    }

    /**
     * The fields of a {@code /proc/<pid>/stat} line that Berth reads: the command name (between the
     * first '(' and the last ')'), the state letter (field 3), the kernel's flags (field 9) and the
     * start time (field 22, clock ticks after boot). A pid and its start time name one process for
     * good: a reused pid starts at another time.
     */
    public record Stat(String comm, char state, long flags, long startTicks) {
        /** PF_EXITING: set as a process starts to exit, before it gives up its memory and namespaces. */
        static final long EXITING = 0x4;

        /**
         * Not exiting, a zombie or dead: the process still runs (or sleeps). One that is exiting
         * still shows a running state for a moment, while its namespaces are already unreadable.
         */
        public boolean live() {
            return state != 'Z' && state != 'X' && (flags & EXITING) == 0;
        }
    }

    /**
     * Parses one {@code /proc/<pid>/stat} line; the command name may itself hold spaces and
     * parentheses, so fields count from the last ')'. Empty when the line is not in that shape.
     */
    public static java.util.Optional<Stat> parseStat(String line) {
        int close = line.lastIndexOf(')');
        if (close < 0 || close + 2 >= line.length()) {
            return java.util.Optional.empty();
        }
        String[] fields = line.substring(close + 2).trim().split(" ");
        // fields[0] is field 3 (state), so field 22 is fields[19]
        if (fields.length < 20 || fields[0].length() != 1) {
            return java.util.Optional.empty();
        }
        int open = line.indexOf('(');
        String comm = open >= 0 && open < close ? line.substring(open + 1, close) : "";
        try {
            // fields[6] is field 9 (flags)
            return java.util.Optional.of(new Stat(comm, fields[0].charAt(0), Long.parseUnsignedLong(fields[6]),
                    Long.parseLong(fields[19])));
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    /** {@code /proc/<pid>/stat} of {@code pid}, read now; empty when there is no such process. One read of one file. */
    public static java.util.Optional<Stat> stat(long pid) {
        if (pid <= 0) {
            return java.util.Optional.empty();
        }
        try {
            return parseStat(java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"),
                    StandardCharsets.UTF_8));
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * Whether {@code pid} is a live (not zombie) process named {@code comm}; the name guards against
     * a pid reused after the process died.
     */
    public static boolean alive(long pid, String comm) {
        return startTicks(pid, comm) >= 0;
    }

    /** Whether {@code pid} is a live (not zombie) process, whatever its name. */
    public static boolean alive(long pid) {
        return stat(pid).map(Stat::live).orElse(false);
    }

    /**
     * The start time of {@code pid} when it is a live (not zombie) process named {@code comm}, else
     * -1 (see {@link Stat}).
     */
    public static long startTicks(long pid, String comm) {
        return stat(pid).filter(st -> st.live() && st.comm().equals(comm)).map(Stat::startTicks).orElse(-1L);
    }
}
