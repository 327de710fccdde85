package dev.berth.engine.sys;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keeps open files open while no daemon runs: a keeper process ({@code sleep infinity}, in a session
 * of its own, holding nothing else of the daemon's) gets duplicates of some descriptors as its fds
 * 0, 1, …, so a connection or pipe end outlives the daemon that opened it, and a later daemon takes
 * them back with pidfd_getfd(2). A keeper is named by its pid and start time ({@link Kept}), which a
 * reused pid cannot match. The JDK cannot pass a descriptor other than a file or its own pipes to a
 * child, hence {@link NativeSpawn} here. Stateless and thread-safe.
 */
public final class FdKeeper {
    private static final long SYS_PIDFD_GETFD = 438;
    private static final String COMM = "sleep";

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
        List<NativeSpawn.ChildFd> child = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            child.add(i < fds.length ? new NativeSpawn.ChildFd.Inherit(fds[i]) : new NativeSpawn.ChildFd.DevNull());
        }
        String sleep = Files.isExecutable(Path.of("/usr/bin/sleep")) ? "/usr/bin/sleep" : "/bin/sleep";
        int pid = NativeSpawn.spawn(List.of(sleep, "infinity"), Map.of(), null, child, true);
        long start = -1;
        for (int i = 0; i < 200 && start < 0; i++) {
            // the child is "sleep" once it has exec'd
            start = Processes.startTicks(pid, COMM);
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
        return new Kept(pid, start);
    }

    /** A duplicate, in this process, of the keeper's fd {@code index} (close it with {@link Sys#close}). */
    public static int take(Kept k, int index) {
        if (!k.alive()) {
            throw new SysException("pidfd_open", "keeper " + k.pid(), Errno.ESRCH, "the keeper is gone");
        }
        NativeSpawn.C c = NativeSpawn.Lib.C;
        int pidfd = (int) c.syscall(NativeSpawn.SYS_PIDFD_OPEN, k.pid(), 0, 0);
        if (pidfd < 0) {
            int errno = NativeSpawn.Lib.RT.getLastError();
            throw new SysException("pidfd_open", "keeper " + k.pid(), errno, c.strerror(errno));
        }
        try {
            int fd = (int) c.syscall(SYS_PIDFD_GETFD, pidfd, index, 0);
            if (fd < 0) {
                int errno = NativeSpawn.Lib.RT.getLastError();
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
        NativeSpawn.Lib.C.waitpid((int) k.pid(), new int[1], 0);
    }
}
