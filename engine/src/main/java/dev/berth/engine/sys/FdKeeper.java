package dev.berth.engine.sys;

import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * Keeps open files open while no daemon runs: a keeper process ({@code sleep infinity}, in a session
 * of its own, holding nothing else of the daemon's) gets duplicates of some descriptors as its fds
 * 0, 1, …, so a connection or pipe end outlives the daemon that opened it, and a later daemon takes
 * them back with pidfd_getfd(2). A keeper is named by its pid and start time ({@link Kept}), which a
 * reused pid cannot match. The JDK cannot pass a descriptor other than a file or its own pipes to a
 * child, hence posix_spawn(3) here. Stateless and thread-safe.
 */
public final class FdKeeper {
    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_GETFD = 438;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int O_RDWR = 2;
    /** Larger than glibc's posix_spawn_file_actions_t, posix_spawnattr_t and sigset_t. */
    private static final int OPAQUE = 1024;
    private static final String COMM = "sleep";

    /** The glibc calls of spawning and taking back (jnr-ffi binding). */
    public interface Spawn {
        int posix_spawn_file_actions_init(Pointer actions);

        int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);

        int posix_spawn_file_actions_addopen(Pointer actions, int fd, String path, int oflag, int mode);

        int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

        int posix_spawn_file_actions_destroy(Pointer actions);

        int posix_spawnattr_init(Pointer attr);

        int posix_spawnattr_setflags(Pointer attr, short flags);

        int posix_spawnattr_setsigmask(Pointer attr, Pointer set);

        int posix_spawnattr_destroy(Pointer attr);

        int posix_spawn(@Out int[] pid, String path, Pointer actions, Pointer attr, String[] argv, String[] envp);

        @SaveError
        long syscall(long number, long a, long b, long c);

        int waitpid(int pid, @Out int[] status, int options);

        String strerror(int errnum);
    }

    private static final class Lib {
        static final Spawn C = LibraryLoader.create(Spawn.class).load("c");
        static final Runtime RT = Runtime.getRuntime(C);
    }

    /** One keeper process: its pid and its start time (clock ticks after boot). */
    public record Kept(long pid, long startTicks) {
        /** Whether this keeper still runs (not a reused pid). */
        public boolean alive() {
            return startTicks >= 0 && Processes.startTicks(pid, COMM) == startTicks;
        }

        /** {@code pid start}, as {@link #parse} reads it. */
        public String print() {
            return pid + " " + startTicks;
        }

        public static java.util.Optional<Kept> parse(String s) {
            String[] f = s.trim().split(" ");
            try {
                return f.length == 2 ? java.util.Optional.of(new Kept(Long.parseLong(f[0]), Long.parseLong(f[1])))
                        : java.util.Optional.empty();
            } catch (NumberFormatException e) {
                return java.util.Optional.empty();
            }
        }
    }

    private FdKeeper() {
    }

    /** Starts a keeper holding {@code fds} as its fds 0, 1, … (at most 3; the rest of 0-2 are /dev/null). */
    public static Kept keep(int... fds) {
        if (fds.length == 0 || fds.length > 3) {
            throw new IllegalArgumentException("a keeper holds 1 to 3 descriptors");
        }
        Spawn c = Lib.C;
        Pointer actions = Memory.allocateDirect(Lib.RT, OPAQUE);
        Pointer attr = Memory.allocateDirect(Lib.RT, OPAQUE);
        Pointer emptySet = Memory.allocateDirect(Lib.RT, OPAQUE);
        emptySet.setMemory(0, OPAQUE, (byte) 0);
        c.posix_spawn_file_actions_init(actions);
        c.posix_spawnattr_init(attr);
        try {
            // above every descriptor named, so no dup2 overwrites one still to be copied
            int base = 3;
            for (int fd : fds) {
                base = Math.max(base, fd + 1);
            }
            for (int i = 0; i < fds.length; i++) {
                c.posix_spawn_file_actions_adddup2(actions, fds[i], base + i);
            }
            for (int i = 0; i < 3; i++) {
                if (i < fds.length) {
                    c.posix_spawn_file_actions_adddup2(actions, base + i, i);
                } else {
                    c.posix_spawn_file_actions_addopen(actions, i, "/dev/null", O_RDWR, 0);
                }
            }
            // the JVM's descriptors are not all close-on-exec (the store's lock file among them)
            c.posix_spawn_file_actions_addclosefrom_np(actions, 3);
            c.posix_spawnattr_setsigmask(attr, emptySet);
            c.posix_spawnattr_setflags(attr, (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK));
            int[] pid = new int[1];
            String sleep = Files.isExecutable(Path.of("/usr/bin/sleep")) ? "/usr/bin/sleep" : "/bin/sleep";
            int rc = c.posix_spawn(pid, sleep, actions, attr, new String[] {COMM, "infinity", null}, new String[] {null});
            if (rc != 0) {
                throw new SysException("posix_spawn", sleep, rc, c.strerror(rc));
            }
            long start = -1;
            for (int i = 0; i < 200 && start < 0; i++) {
                // the child is "sleep" once it has exec'd
                start = Processes.startTicks(pid[0], COMM);
                if (start < 0) {
                    Thread.onSpinWait();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            return new Kept(pid[0], start);
        } finally {
            c.posix_spawn_file_actions_destroy(actions);
            c.posix_spawnattr_destroy(attr);
        }
    }

    /** A duplicate, in this process, of the keeper's fd {@code index} (close it with {@link Sys#close}). */
    public static int take(Kept k, int index) {
        if (!k.alive()) {
            throw new SysException("pidfd_open", "keeper " + k.pid(), Errno.ESRCH, "the keeper is gone");
        }
        Spawn c = Lib.C;
        int pidfd = (int) c.syscall(SYS_PIDFD_OPEN, k.pid(), 0, 0);
        if (pidfd < 0) {
            int errno = Lib.RT.getLastError();
            throw new SysException("pidfd_open", "keeper " + k.pid(), errno, c.strerror(errno));
        }
        try {
            int fd = (int) c.syscall(SYS_PIDFD_GETFD, pidfd, index, 0);
            if (fd < 0) {
                int errno = Lib.RT.getLastError();
                throw new SysException("pidfd_getfd", "keeper " + k.pid() + " fd " + index, errno, c.strerror(errno));
            }
            return fd;
        } finally {
            Sys.close(pidfd);
        }
    }

    /** Ends the keeper (SIGKILL, and reaps it when it is this process's child); nothing when it is gone. */
    public static void end(Kept k) {
        if (!k.alive()) {
            return;
        }
        Sys.kill(k.pid(), 9);
        // a keeper an earlier daemon started is init's to reap: ECHILD here
        Lib.C.waitpid((int) k.pid(), new int[1], 0);
    }
}
