package dev.berth.engine.sys;

import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The glibc functions Berth calls directly (jnr-ffi binding). Paths are passed as NUL-terminated
 * byte arrays so names that are not valid in the JVM's charset still reach the kernel unchanged.
 * Package-private: callers use {@link Sys}, which turns errno into exceptions.
 */
public interface LibC {
    @SaveError
    int kill(int pid, int sig);

    /** signal(2) with the handler as an address (0 = SIG_DFL, 1 = SIG_IGN); returns the previous one. */
    long signal(int sig, long handler);

    @SaveError
    int mount(byte[] source, byte[] target, byte[] fstype, long flags, byte[] data);

    @SaveError
    int umount2(byte[] target, int flags);

    @SaveError
    int mknod(byte[] path, int mode, long dev);

    @SaveError
    int lchown(byte[] path, int uid, int gid);

    @SaveError
    int chmod(byte[] path, int mode);

    @SaveError
    int utimensat(int dirfd, byte[] path, @In long[] times, int flags);

    @SaveError
    int lsetxattr(byte[] path, byte[] name, @In byte[] value, @size_t long size, int flags);

    @SaveError
    @ssize_t
    long lgetxattr(byte[] path, byte[] name, @Out byte[] value, @size_t long size);

    @SaveError
    @ssize_t
    long llistxattr(byte[] path, @Out byte[] list, @size_t long size);

    @SaveError
    int lremovexattr(byte[] path, byte[] name);

    @SaveError
    int symlink(byte[] target, byte[] linkpath);

    @SaveError
    int unshare(int flags);

    @SaveError
    int chdir(byte[] path);

    @SaveError
    int open(byte[] path, int flags);

    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    @ssize_t
    long sendto(int fd, @In byte[] buf, @size_t long len, int flags, @In byte[] addr, int addrlen);

    @SaveError
    int close(int fd);

    @SaveError
    int connect(int fd, @In byte[] addr, int addrlen);

    @SaveError
    @ssize_t
    long write(int fd, @In byte[] buf, @size_t long len);

    @SaveError
    @ssize_t
    long read(int fd, @Out byte[] buf, @size_t long len);

    @SaveError
    int shutdown(int fd, int how);

    @SaveError
    int fcntl(int fd, int cmd, int arg);

    @SaveError
    int ioctl(int fd, long request, @Out int[] value);

    @SaveError
    int setns(int fd, int nstype);

    String strerror(int errnum);

    int geteuid();

    int getegid();
}
