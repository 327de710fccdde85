package dev.berth.engine.sys;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * Starts a program with glibc's posix_spawnp(3), giving the child exactly the descriptors named
 * ({@link ChildFd}: one of ours, /dev/null, or a file appended to) as its fds 0, 1, …, closing every
 * other one (closefrom), with an empty signal mask, the signals' default dispositions and exactly
 * the environment given. The JDK's {@link ProcessBuilder} hands a child only fds 0-2 and goes through
 * {@code jspawnhelper}, which closes the daemon's descriptors one by one: ~1 ms plus ~2 µs per open
 * descriptor, and a daemon with a hundred tasks holds several hundred (their clients' FIFOs). The
 * caller reaps the child ({@link #waitExit}); the JDK's reaper never sees it. Stateless and
 * thread-safe.
 */
public final class NativeSpawn {
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final int O_CREAT = 0100;
    private static final int O_APPEND = 02000;
    private static final int O_CLOEXEC = 02000000;
    private static final int WNOHANG = 1;
    private static final short POLLIN = 1;
    static final long SYS_PIDFD_OPEN = 434;
    private static final int SIGKILL = 9;
    private static final int SIGSTOP = 19;
    /** Larger than glibc's posix_spawn_file_actions_t, posix_spawnattr_t and sigset_t. */
    private static final int OPAQUE = 1024;

    /** The glibc calls of spawning and reaping (jnr-ffi binding). */
    public interface C {
        int posix_spawn_file_actions_init(Pointer actions);

        int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);

        int posix_spawn_file_actions_addopen(Pointer actions, int fd, String path, int oflag, int mode);

        int posix_spawn_file_actions_addchdir_np(Pointer actions, String path);

        int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

        int posix_spawn_file_actions_destroy(Pointer actions);

        int posix_spawnattr_init(Pointer attr);

        int posix_spawnattr_setflags(Pointer attr, short flags);

        int posix_spawnattr_setsigmask(Pointer attr, Pointer set);

        int posix_spawnattr_setsigdefault(Pointer attr, Pointer set);

        int posix_spawnattr_destroy(Pointer attr);

        int posix_spawnp(@Out int[] pid, String file, Pointer actions, Pointer attr, String[] argv, String[] envp);

        int sigemptyset(Pointer set);

        int sigfillset(Pointer set);

        int sigdelset(Pointer set, int signal);

        @SaveError
        int pipe2(@Out int[] fds, int flags);

        @SaveError
        int waitpid(int pid, @Out int[] status, int options);

        @SaveError
        long syscall(long number, long a, long b, long c);

        @SaveError
        int poll(Pointer fds, long nfds, int timeout);

        String strerror(int errnum);
    }

    static final class Lib {
        static final C C = LibraryLoader.create(NativeSpawn.C.class).load("c");
        static final Runtime RT = Runtime.getRuntime(C);

        private Lib() {
        }
    }

    /** What one descriptor of the child is. */
    public sealed interface ChildFd {
        /** A duplicate of this process's descriptor {@code fd}. */
        record Inherit(int fd) implements ChildFd {
        }

        /** /dev/null, for reading and writing. */
        record DevNull() implements ChildFd {
        }

        /** {@code file}, created when missing, opened for appending. */
        record Append(Path file) implements ChildFd {
        }
    }

    private NativeSpawn() {
    }

    /**
     * Starts {@code argv} ({@code argv[0]} is the program: a path, or a name looked up on this
     * process's PATH) with {@code fds} as its descriptors 0, 1, … and none other, {@code env} as its
     * whole environment, in {@code dir} (null: ours), in a session of its own when {@code newSession};
     * returns its pid.
     *
     * @throws SysException when the program cannot be started (ENOENT, EACCES, …)
     */
    public static int spawn(List<String> argv, Map<String, String> env, Path dir, List<ChildFd> fds, boolean newSession) {
        C c = Lib.C;
        Pointer actions = Memory.allocateDirect(Lib.RT, OPAQUE);
        Pointer attr = Memory.allocateDirect(Lib.RT, OPAQUE);
        Pointer mask = Memory.allocateDirect(Lib.RT, OPAQUE);
        Pointer defaults = Memory.allocateDirect(Lib.RT, OPAQUE);
        c.posix_spawn_file_actions_init(actions);
        c.posix_spawnattr_init(attr);
        try {
            if (dir != null) {
                c.posix_spawn_file_actions_addchdir_np(actions, dir.toAbsolutePath().toString());
            }
            // first above every descriptor named, so that no dup2 overwrites one still to be copied
            int base = fds.size();
            for (ChildFd f : fds) {
                if (f instanceof ChildFd.Inherit i) {
                    base = Math.max(base, i.fd() + 1);
                }
            }
            for (int i = 0; i < fds.size(); i++) {
                if (fds.get(i) instanceof ChildFd.Inherit in) {
                    c.posix_spawn_file_actions_adddup2(actions, in.fd(), base + i);
                }
            }
            for (int i = 0; i < fds.size(); i++) {
                ChildFd f = fds.get(i);
                if (f instanceof ChildFd.Inherit) {
                    c.posix_spawn_file_actions_adddup2(actions, base + i, i);
                } else if (f instanceof ChildFd.Append a) {
                    c.posix_spawn_file_actions_addopen(actions, i, a.file().toAbsolutePath().toString(),
                            O_WRONLY | O_CREAT | O_APPEND, 0644);
                } else {
                    c.posix_spawn_file_actions_addopen(actions, i, "/dev/null", O_RDWR, 0);
                }
            }
            // the JVM's descriptors are not all close-on-exec (FIFOs, the store's lock file)
            c.posix_spawn_file_actions_addclosefrom_np(actions, fds.size());
            c.sigemptyset(mask);
            c.posix_spawnattr_setsigmask(attr, mask);
            // an ignored signal stays ignored across exec(2); SIGKILL and SIGSTOP cannot be changed
            c.sigfillset(defaults);
            c.sigdelset(defaults, SIGKILL);
            c.sigdelset(defaults, SIGSTOP);
            c.posix_spawnattr_setsigdefault(attr, defaults);
            c.posix_spawnattr_setflags(attr,
                    (short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? POSIX_SPAWN_SETSID : 0)));
            String[] args = argv.toArray(new String[argv.size() + 1]);
            List<String> vars = new ArrayList<>();
            env.forEach((k, v) -> vars.add(k + "=" + v));
            String[] envp = vars.toArray(new String[vars.size() + 1]);
            int[] pid = new int[1];
            int rc = c.posix_spawnp(pid, argv.get(0), actions, attr, args, envp);
            if (rc != 0) {
                throw new SysException("posix_spawnp", argv.get(0), rc, c.strerror(rc));
            }
            return pid[0];
        } finally {
            c.posix_spawn_file_actions_destroy(actions);
            c.posix_spawnattr_destroy(attr);
        }
    }

    /** A pipe, both ends close-on-exec: {@code [read, write]}; close them with {@link Sys#close}. */
    public static int[] pipe() {
        int[] fds = new int[2];
        if (Lib.C.pipe2(fds, O_CLOEXEC) != 0) {
            int errno = Lib.RT.getLastError();
            throw new SysException("pipe2", "", errno, Lib.C.strerror(errno));
        }
        return fds;
    }

    /**
     * Waits up to {@code timeout} (null: for as long as it takes) for child {@code pid} to end, and
     * reaps it: its exit code, or 128 + the signal that ended it; -1 when it is not this process's
     * child (reaped already). Empty when it still runs at the deadline: it stays a child to signal and
     * wait for again, its pid not reusable until then. The wait wakes when the child ends (a pidfd).
     */
    public static OptionalInt waitExit(int pid, Duration timeout) {
        C c = Lib.C;
        int pidfd = (int) c.syscall(SYS_PIDFD_OPEN, pid, 0, 0);
        if (pidfd < 0) {
            return reap(pid);
        }
        Pointer pollfd = Memory.allocateDirect(Lib.RT, 8);
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                int wait = -1;
                if (timeout != null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return reapIfEnded(pid);
                    }
                    wait = (int) Math.min(Integer.MAX_VALUE, Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left)));
                }
                pollfd.putInt(0, pidfd);
                pollfd.putShort(4, POLLIN);
                pollfd.putShort(6, (short) 0);
                int r = c.poll(pollfd, 1, wait);
                if (r > 0) {
                    return reap(pid);
                }
                if (r < 0 && Lib.RT.getLastError() != Errno.EINTR) {
                    return reap(pid);
                }
            }
        } finally {
            Sys.close(pidfd);
        }
    }

    /** Reaps {@code pid}, waiting for its end; -1 when it is not this process's child. */
    private static OptionalInt reap(int pid) {
        int[] status = new int[1];
        while (true) {
            int r = Lib.C.waitpid(pid, status, 0);
            if (r == pid) {
                return OptionalInt.of(exitCode(status[0]));
            }
            if (r < 0 && Lib.RT.getLastError() != Errno.EINTR) {
                return OptionalInt.of(-1);
            }
        }
    }

    private static OptionalInt reapIfEnded(int pid) {
        int[] status = new int[1];
        int r = Lib.C.waitpid(pid, status, WNOHANG);
        return r == pid ? OptionalInt.of(exitCode(status[0])) : r < 0 ? OptionalInt.of(-1) : OptionalInt.empty();
    }

    /** A wait status as a shell reports it: the exit code, or 128 + the signal. */
    private static int exitCode(int status) {
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
    }
}
