package dev.berth.engine.fs;

import dev.berth.engine.sys.Errno;
import dev.berth.engine.sys.RawPath;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.sys.SysException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * File operations on names given as bytes ({@link RawPath}), for code that must create, find and
 * delete files whose names the JDK's {@code java.nio.file} cannot represent (see RawPath). None
 * follows a symlink in the last component. Failures are {@link SysException}s naming the call and
 * the escaped name. Stateless and thread-safe.
 */
public final class RawFiles {
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int O_WRONLY = 01;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_NOFOLLOW = 0400000;
    private static final int O_CLOEXEC = 02000000;
    private static final int DIRENT_NAME = 19;
    private static final byte[] DOT = {'.'};
    private static final byte[] DOTDOT = {'.', '.'};

    /** The glibc calls behind this class; names are NUL-terminated byte arrays. */
    public interface Calls {
        @SaveError
        int statx(int dirfd, byte[] path, int flags, int mask, @Out byte[] buf);

        @SaveError
        int mkdir(byte[] path, int mode);

        @SaveError
        int open(byte[] path, int flags, int mode);

        @SaveError
        @ssize_t
        long write(int fd, @In byte[] buf, @size_t long count);

        @SaveError
        int close(int fd);

        @SaveError
        int link(byte[] target, byte[] path);

        @SaveError
        int unlink(byte[] path);

        @SaveError
        int rmdir(byte[] path);

        @SaveError
        @ssize_t
        long readlink(byte[] path, @Out byte[] buf, @size_t long size);

        @SaveError
        Pointer opendir(byte[] path);

        @SaveError
        Pointer readdir(Pointer dir);

        int closedir(Pointer dir);
    }

    private static final Calls C = LibraryLoader.create(Calls.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(C);

    private RawFiles() {
    }

    /** lstat of {@code p} (through statx, whose layout is the same on every architecture); null when absent. */
    public static FileTree.Stat lstat(RawPath p) {
        byte[] buf = new byte[256];
        if (C.statx(AT_FDCWD, cstr(p), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) != 0) {
            int e = RUNTIME.getLastError();
            if (e == Errno.ENOENT || e == Errno.ENOTDIR) {
                return null;
            }
            throw error(e, "statx", p);
        }
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
        return new FileTree.Stat(b.getShort(28) & 0xffff, b.getInt(20), b.getInt(24), b.getLong(32),
                Sys.makedev(b.getInt(136), b.getInt(140)), Sys.makedev(b.getInt(128), b.getInt(132)), b.getInt(16),
                b.getLong(40), b.getLong(64) * 1_000_000_000L + (b.getInt(72) & 0xffffffffL),
                b.getLong(112) * 1_000_000_000L + (b.getInt(120) & 0xffffffffL));
    }

    /** mkdir(2) with {@code mode} (before the umask). */
    public static void mkdir(RawPath p, int mode) {
        if (C.mkdir(cstr(p), mode) != 0) {
            throw error(RUNTIME.getLastError(), "mkdir", p);
        }
    }

    /**
     * Creates the regular file {@code p}, which must not exist (EEXIST otherwise, as a
     * {@link SysException}), and writes all of {@code data} into it using {@code buffer}.
     */
    public static void createFile(RawPath p, InputStream data, byte[] buffer) throws IOException {
        int fd = C.open(cstr(p), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            throw error(RUNTIME.getLastError(), "open", p);
        }
        try {
            int r;
            while ((r = data.read(buffer, 0, buffer.length)) > 0) {
                int off = 0;
                while (off < r) {
                    byte[] chunk = off == 0 ? buffer : Arrays.copyOfRange(buffer, off, r);
                    long w = C.write(fd, chunk, r - off);
                    if (w < 0) {
                        int e = RUNTIME.getLastError();
                        if (e != 4) { // EINTR: try again
                            throw error(e, "write", p);
                        }
                        continue;
                    }
                    off += (int) w;
                }
            }
        } finally {
            C.close(fd);
        }
    }

    /** link(2): {@code p} becomes another name of {@code target}'s inode. */
    public static void link(RawPath target, RawPath p) {
        if (C.link(cstr(target), cstr(p)) != 0) {
            throw error(RUNTIME.getLastError(), "link", p + " -> " + target);
        }
    }

    /** readlink(2): the link text as bytes. */
    public static byte[] readlink(RawPath p) {
        byte[] buf = new byte[4096];
        long n = C.readlink(cstr(p), buf, buf.length);
        if (n < 0) {
            throw error(RUNTIME.getLastError(), "readlink", p);
        }
        return Arrays.copyOf(buf, (int) n);
    }

    /** The names in directory {@code dir}, without {@code .} and {@code ..}. */
    public static List<byte[]> list(RawPath dir) {
        Pointer d = C.opendir(cstr(dir));
        if (d == null) {
            throw error(RUNTIME.getLastError(), "opendir", dir);
        }
        List<byte[]> out = new ArrayList<>();
        try {
            Pointer e;
            while ((e = C.readdir(d)) != null) {
                int reclen = e.getShort(16) & 0xffff;
                byte[] name = new byte[Math.max(0, reclen - DIRENT_NAME)];
                e.get(DIRENT_NAME, name, 0, name.length);
                int end = 0;
                while (end < name.length && name[end] != 0) {
                    end++;
                }
                byte[] n = Arrays.copyOf(name, end);
                if (!Arrays.equals(n, DOT) && !Arrays.equals(n, DOTDOT)) {
                    out.add(n);
                }
            }
        } finally {
            C.closedir(d);
        }
        return out;
    }

    /** Deletes {@code p} and everything below it, never following symlinks; absent is fine. */
    public static void deleteRecursively(RawPath p) {
        FileTree.Stat st = lstat(p);
        if (st == null) {
            return;
        }
        if (st.isDir()) {
            for (byte[] child : list(p)) {
                deleteRecursively(p.resolve(child));
            }
            if (C.rmdir(cstr(p)) != 0 && RUNTIME.getLastError() != Errno.ENOENT) {
                throw error(RUNTIME.getLastError(), "rmdir", p);
            }
        } else if (C.unlink(cstr(p)) != 0 && RUNTIME.getLastError() != Errno.ENOENT) {
            throw error(RUNTIME.getLastError(), "unlink", p);
        }
    }

    private static byte[] cstr(RawPath p) {
        byte[] b = p.bytes();
        return Arrays.copyOf(b, b.length + 1);
    }

    private static SysException error(int errno, String call, Object what) {
        return new SysException(call, String.valueOf(what), errno, Sys.strerror(errno));
    }
}
