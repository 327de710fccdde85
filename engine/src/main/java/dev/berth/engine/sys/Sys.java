package dev.berth.engine.sys;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * Native calls the JDK does not offer: mount(2), umount2(2), mknod(2), lchown(2), unix datagrams, extended attributes
 * without following symlinks, nanosecond times on symlinks, unshare(2). Every failure becomes a
 * {@link SysException} naming the call, the path and the errno text. Thread-safe (errno is per
 * thread). About 500 lines: one short wrapper per call over the one {@link LibC} binding, each
 * turning errno into that exception; split by area they would each need the binding and the
 * errno helpers again.
 */
public final class Sys {
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_SYNCHRONOUS = 16;
    public static final long MS_REMOUNT = 32;
    public static final long MS_MANDLOCK = 64;
    public static final long MS_DIRSYNC = 128;
    public static final long MS_NOSYMFOLLOW = 256;
    public static final long MS_NOATIME = 1024;
    public static final long MS_NODIRATIME = 2048;
    public static final long MS_BIND = 4096;
    public static final long MS_MOVE = 8192;
    public static final long MS_REC = 16384;
    public static final long MS_PRIVATE = 1 << 18;
    public static final long MS_SLAVE = 1 << 19;
    public static final long MS_SHARED = 1 << 20;
    public static final long MS_RELATIME = 1 << 21;
    public static final long MS_STRICTATIME = 1 << 24;

    public static final int MNT_FORCE = 1;
    public static final int MNT_DETACH = 2;

    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final int CLONE_FS = 0x00000200;
    public static final int CLONE_NEWNET = 0x40000000;

    private static final int O_RDONLY_CLOEXEC = 02000000;
    private static final int O_NONBLOCK = 04000;
    private static final long FIONREAD = 0x541B;
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SUN_PATH_MAX = 108;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Sys() {
    }

    /** kill(2): sends {@code signal} to process {@code pid}. */
    public static void kill(long pid, int signal) {
        if (LIBC.kill((int) pid, signal) != 0) {
            throw error("kill", "process " + pid + " (signal " + signal + ")");
        }
    }

    /**
     * Sets signal {@code signal} back to its default action and says whether it was ignored. A
     * process started under {@code nohup} (or by a parent that ignores SIGHUP) inherits SIG_IGN, and
     * the JVM then silently refuses to install a Java handler for it; a daemon that wants the signal
     * calls this first.
     */
    public static boolean unignore(int signal) {
        return LIBC.signal(signal, 0L) == 1L;
    }

    /** mount(2). {@code source}, {@code fstype} and {@code data} may be null. */
    public static void mount(String source, Path target, String fstype, long flags, String data) {
        if (LIBC.mount(cstr(source), cstr(target), cstr(fstype), flags, cstr(data)) != 0) {
            throw error("mount", (fstype == null ? "" : fstype + " ") + source + " on " + target
                    + (data == null || data.isEmpty() ? "" : " (" + data + ")"));
        }
    }

    /** umount2(2). */
    public static void umount(Path target, int flags) {
        if (LIBC.umount2(cstr(target), flags) != 0) {
            throw error("umount", target.toString());
        }
    }

    /** mknod(2) with {@code mode} including the file type bits. */
    public static void mknod(Path path, int mode, int major, int minor) {
        mknod(RawPath.of(path), mode, major, minor);
    }

    /** mknod(2) on a name given as bytes. */
    public static void mknod(RawPath path, int mode, int major, int minor) {
        if (LIBC.mknod(path.cstr(), mode, makedev(major, minor)) != 0) {
            throw error("mknod", path.toString());
        }
    }

    /** symlink(2): writes {@code target} verbatim as the link text (no normalisation). */
    public static void symlink(String target, Path link) {
        symlink(RawPath.of(target.getBytes(StandardCharsets.UTF_8)), RawPath.of(link));
    }

    /** symlink(2) with the link text and the name as bytes. */
    public static void symlink(RawPath target, RawPath link) {
        if (LIBC.symlink(target.cstr(), link.cstr()) != 0) {
            throw error("symlink", link + " -> " + target);
        }
    }

    /** lchown(2): changes the owner of a symlink itself, not its target. */
    public static void lchown(Path path, int uid, int gid) {
        lchown(RawPath.of(path), uid, gid);
    }

    /** lchown(2) on a name given as bytes. */
    public static void lchown(RawPath path, int uid, int gid) {
        if (LIBC.lchown(path.cstr(), uid, gid) != 0) {
            throw error("lchown", path.toString());
        }
    }

    /** chmod(2) with the full 07777 permission bits (follows symlinks; never call it on one). */
    public static void chmod(Path path, int mode) {
        chmod(RawPath.of(path), mode);
    }

    /** chmod(2) on a name given as bytes (follows symlinks; never call it on one). */
    public static void chmod(RawPath path, int mode) {
        if (LIBC.chmod(path.cstr(), mode & 07777) != 0) {
            throw error("chmod", path.toString());
        }
    }

    /** Sets access and modification time in nanoseconds since the epoch, without following symlinks. */
    public static void lutimes(Path path, long atimeNanos, long mtimeNanos) {
        lutimes(RawPath.of(path), atimeNanos, mtimeNanos);
    }

    /** As {@link #lutimes(Path, long, long)} on a name given as bytes. */
    public static void lutimes(RawPath path, long atimeNanos, long mtimeNanos) {
        long[] ts = {
            Math.floorDiv(atimeNanos, 1_000_000_000L), Math.floorMod(atimeNanos, 1_000_000_000L),
            Math.floorDiv(mtimeNanos, 1_000_000_000L), Math.floorMod(mtimeNanos, 1_000_000_000L)};
        if (LIBC.utimensat(AT_FDCWD, path.cstr(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
            throw error("utimensat", path.toString());
        }
    }

    /** lsetxattr(2). */
    public static void setXattr(Path path, String name, byte[] value) {
        setXattr(RawPath.of(path), name, value);
    }

    /** lsetxattr(2) on a name given as bytes. */
    public static void setXattr(RawPath path, String name, byte[] value) {
        if (LIBC.lsetxattr(path.cstr(), cstr(name), value, value.length, 0) != 0) {
            throw error("setxattr " + name, path.toString());
        }
    }

    /** lgetxattr(2); null when the attribute is absent (ENODATA) or xattrs are unsupported. */
    public static byte[] getXattr(Path path, String name) {
        return getXattr(RawPath.of(path), name);
    }

    /** As {@link #getXattr(Path, String)} on a name given as bytes. */
    public static byte[] getXattr(RawPath path, String name) {
        byte[] p = path.cstr();
        byte[] n = cstr(name);
        int size = 256;
        while (true) {
            byte[] buf = new byte[size];
            long r = LIBC.lgetxattr(p, n, buf, buf.length);
            if (r >= 0) {
                return Arrays.copyOf(buf, (int) r);
            }
            int e = RUNTIME.getLastError();
            if (e == Errno.ENODATA || e == Errno.ENOTSUP) {
                return null;
            }
            if (e != Errno.ERANGE || size > 1 << 20) {
                throw error(e, "getxattr " + name, path.toString());
            }
            size *= 4;
        }
    }

    /** llistxattr(2): the attribute names of {@code path} (empty when unsupported). */
    public static List<String> listXattrs(Path path) {
        return listXattrs(RawPath.of(path));
    }

    /** As {@link #listXattrs(Path)} on a name given as bytes. */
    public static List<String> listXattrs(RawPath path) {
        byte[] p = path.cstr();
        int size = 1024;
        while (true) {
            byte[] buf = new byte[size];
            long r = LIBC.llistxattr(p, buf, buf.length);
            if (r >= 0) {
                List<String> names = new ArrayList<>();
                int start = 0;
                for (int i = 0; i < r; i++) {
                    if (buf[i] == 0) {
                        if (i > start) {
                            names.add(new String(buf, start, i - start, StandardCharsets.UTF_8));
                        }
                        start = i + 1;
                    }
                }
                return names;
            }
            int e = RUNTIME.getLastError();
            if (e == Errno.ENOTSUP) {
                return List.of();
            }
            if (e != Errno.ERANGE || size > 1 << 22) {
                throw error(e, "listxattr", path.toString());
            }
            size *= 4;
        }
    }

    /** lremovexattr(2); absent attributes are not an error. */
    public static void removeXattr(Path path, String name) {
        if (LIBC.lremovexattr(cstr(path), cstr(name)) != 0) {
            int e = RUNTIME.getLastError();
            if (e != Errno.ENODATA) {
                throw error(e, "removexattr " + name, path.toString());
            }
        }
    }

    /** geteuid(2): the owner new files get. */
    public static int geteuid() {
        return LIBC.geteuid();
    }

    /** getegid(2): the group new files get, unless their directory is setgid. */
    public static int getegid() {
        return LIBC.getegid();
    }

    /**
     * unshare(2) for the calling thread only. With {@link #CLONE_FS} the thread gets its own working
     * directory, so a later {@link #chdir} does not move the rest of the JVM.
     */
    public static void unshare(int flags) {
        if (LIBC.unshare(flags) != 0) {
            throw error("unshare", Integer.toHexString(flags));
        }
    }

    /** open(2) of a namespace file ({@code /proc/<pid>/ns/net}, a pinned one) read-only, close-on-exec. */
    public static int openNamespace(Path nsFile) {
        int fd = LIBC.open(cstr(nsFile), O_RDONLY_CLOEXEC);
        if (fd < 0) {
            throw error("open", nsFile.toString());
        }
        return fd;
    }

    /**
     * setns(2) of the calling thread into the namespace open as {@code fd} of type {@code nstype}
     * ({@link #CLONE_NEWNET}). The thread stays there: callers run this only on a thread of their
     * own, and go back before it runs anything else.
     */
    public static void setns(int fd, int nstype) {
        if (LIBC.setns(fd, nstype) != 0) {
            throw error("setns", "fd " + fd);
        }
    }

    /**
     * How many bytes written to FIFO {@code fifo} no reader has taken yet (FIONREAD on a read end
     * opened without blocking, which sees the pipe's one buffer). A writer about to close the last
     * write end uses it to tell whether its reader has the data: a FIFO's buffer is dropped once no
     * process holds it open.
     */
    public static int fifoUnread(Path fifo) {
        int fd = LIBC.open(cstr(fifo), O_RDONLY_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            throw error("open", fifo.toString());
        }
        try {
            int[] n = new int[1];
            if (LIBC.ioctl(fd, FIONREAD, n) != 0) {
                throw error("ioctl(FIONREAD)", fifo.toString());
            }
            return n[0];
        } finally {
            LIBC.close(fd);
        }
    }

    /** close(2); errors are ignored (nothing useful can follow a failed close of a namespace fd). */
    public static void close(int fd) {
        LIBC.close(fd);
    }

    /** chdir(2) of the calling thread's file-system context (see {@link #unshare}). */
    public static void chdir(Path dir) {
        if (LIBC.chdir(cstr(dir)) != 0) {
            throw error("chdir", dir.toString());
        }
    }

    /**
     * Sends one datagram to the unix socket {@code socket} (a path, or {@code @name} for the abstract
     * namespace) from a fresh unbound socket: what sd_notify(3) does with {@code $NOTIFY_SOCKET}. The
     * JDK's unix-domain channels are stream-only.
     */
    public static void sendDatagram(String socket, byte[] message) {
        byte[] name = socket.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length >= SUN_PATH_MAX) {
            throw new SysException("sendto", socket, Errno.EINVAL, "a unix socket name is 1 to 107 bytes");
        }
        // struct sockaddr_un: sa_family_t (native-endian u16), then sun_path; '@' is a leading NUL
        byte[] addr = new byte[2 + name.length + 1];
        java.nio.ByteBuffer.wrap(addr).order(java.nio.ByteOrder.nativeOrder()).putShort((short) AF_UNIX);
        System.arraycopy(name, 0, addr, 2, name.length);
        int addrLen = addr.length;
        if (name[0] == '@') {
            addr[2] = 0;
            addrLen = 2 + name.length; // abstract names are not NUL-terminated
        }
        int fd = LIBC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw error("socket", socket);
        }
        try {
            if (LIBC.sendto(fd, message, message.length, 0, addr, addrLen) < 0) {
                throw error("sendto", socket);
            }
        } finally {
            LIBC.close(fd);
        }
    }

    private static final int SOCK_SEQPACKET = 5;
    private static final int O_PATH = 010000000;
    private static final int SHUT_WR = 1;

    /**
     * Connects a SOCK_SEQPACKET unix socket to {@code dir/name} (conmon's attach socket), through
     * {@code /proc/self/fd} of {@code dir} opened with O_PATH, so a directory path longer than a
     * socket address can hold still works. The JDK's unix-domain channels are stream-only.
     *
     * @return the connected socket's descriptor (close it with {@link #close(int)})
     */
    public static int connectSeqPacket(Path dir, String name) {
        int dirFd = LIBC.open(cstr(dir), O_PATH | O_RDONLY_CLOEXEC);
        if (dirFd < 0) {
            throw error("open", dir.toString());
        }
        try {
            byte[] path = ("/proc/self/fd/" + dirFd + "/" + name).getBytes(StandardCharsets.UTF_8);
            byte[] addr = new byte[2 + path.length + 1];
            java.nio.ByteBuffer.wrap(addr).order(java.nio.ByteOrder.nativeOrder()).putShort((short) AF_UNIX);
            System.arraycopy(path, 0, addr, 2, path.length);
            int fd = LIBC.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw error("socket", dir.resolve(name).toString());
            }
            if (LIBC.connect(fd, addr, addr.length) != 0) {
                SysException e = error("connect", dir.resolve(name).toString());
                LIBC.close(fd);
                throw e;
            }
            return fd;
        } finally {
            LIBC.close(dirFd);
        }
    }

    /** write(2) of all of {@code len} bytes (one message per call on a packet socket). */
    public static void write(int fd, byte[] buf, int len, String object) {
        byte[] b = len == buf.length ? buf : java.util.Arrays.copyOf(buf, len);
        long n = LIBC.write(fd, b, len);
        if (n < 0) {
            throw error("write", object);
        }
        if (n != len) {
            throw new SysException("write", object, Errno.EINVAL, "short write of " + n + " of " + len + " bytes");
        }
    }

    /** read(2) into {@code buf}; 0 at end of stream, -1 on an error (the peer is gone). */
    public static int read(int fd, byte[] buf) {
        return (int) LIBC.read(fd, buf, buf.length);
    }

    /** shutdown(2) of the sending side: the peer reads end-of-stream. */
    public static void shutdownWrite(int fd) {
        LIBC.shutdown(fd, SHUT_WR);
    }

    private static final int F_SETFL = 4;
    private static final int ERRNO_EAGAIN = 11;
    /** {@link #readFifo}: no data now, and a writer holds the FIFO open. */
    public static final int FIFO_EMPTY = -2;

    /** Opens FIFO {@code fifo} for reading without waiting for a writer; close it with {@link #close(int)}. */
    public static int openFifoReader(Path fifo) {
        int fd = LIBC.open(cstr(fifo), O_RDONLY_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            throw error("open", fifo.toString());
        }
        return fd;
    }

    /**
     * read(2) of a FIFO: the count read, 0 when no writer holds it open (end of file, or none came
     * yet), {@link #FIFO_EMPTY} when a non-blocking descriptor has nothing to read yet.
     */
    public static int readFifo(int fd, byte[] buf, String object) {
        long n = LIBC.read(fd, buf, buf.length);
        if (n >= 0) {
            return (int) n;
        }
        int errno = RUNTIME.getLastError();
        if (errno == ERRNO_EAGAIN) {
            return FIFO_EMPTY;
        }
        throw error(errno, "read", object);
    }

    private static final int F_DUPFD_CLOEXEC = 1030;

    /** A close-on-exec duplicate of {@code fd} (fcntl F_DUPFD_CLOEXEC); close it with {@link #close}. */
    public static int dup(int fd, String object) {
        int copy = LIBC.fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) {
            throw error("fcntl(F_DUPFD_CLOEXEC)", object);
        }
        return copy;
    }

    /** Makes reads of {@code fd} wait for data (clears O_NONBLOCK). */
    public static void setBlocking(int fd, String object) {
        if (LIBC.fcntl(fd, F_SETFL, 0) != 0) {
            throw error("fcntl(F_SETFL)", object);
        }
    }

    private static final int O_WRONLY_CLOEXEC = 02000001;

    /**
     * Opens FIFO {@code fifo} for writing without blocking and closes it again: a reader blocked in
     * opening it returns (and then reads end of file). Nothing happens when no reader has it open.
     */
    public static void releaseFifoReaders(Path fifo) {
        int fd = LIBC.open(cstr(fifo), O_WRONLY_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
            LIBC.close(fd);
        }
    }

    /**
     * Writes {@code bytes} (at most a pipe's atomic size) to FIFO {@code fifo} in one write, opening
     * it without blocking: when no process holds its read end (its reader is gone) the open fails with
     * ENXIO instead of waiting.
     */
    public static void writeFifo(Path fifo, byte[] bytes) {
        int fd = LIBC.open(cstr(fifo), O_WRONLY_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            throw error("open", fifo.toString());
        }
        try {
            write(fd, bytes, bytes.length, fifo.toString());
        } finally {
            LIBC.close(fd);
        }
    }

    /** The C library's message for an errno. */
    public static String strerror(int errno) {
        return LIBC.strerror(errno);
    }

    /** Linux's encoding of a device number (glibc gnu_dev_makedev). */
    public static long makedev(int major, int minor) {
        long ma = major & 0xffffffffL;
        long mi = minor & 0xffffffffL;
        return ((ma & 0xfffL) << 8) | ((ma & ~0xfffL) << 32) | (mi & 0xffL) | ((mi & ~0xffL) << 12);
    }

    public static int major(long dev) {
        return (int) (((dev >>> 8) & 0xfffL) | ((dev >>> 32) & ~0xfffL));
    }

    public static int minor(long dev) {
        return (int) ((dev & 0xffL) | ((dev >>> 12) & ~0xffL));
    }

    private static SysException error(String call, String object) {
        return error(RUNTIME.getLastError(), call, object);
    }

    private static SysException error(int errno, String call, String object) {
        return new SysException(call, object, errno, strerror(errno));
    }

    private static byte[] cstr(Path p) {
        return p == null ? null : RawPath.of(p).cstr();
    }

    private static byte[] cstr(String s) {
        if (s == null) {
            return null;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(b, b.length + 1);
    }
}
