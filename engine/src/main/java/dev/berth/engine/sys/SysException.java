package dev.berth.engine.sys;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;

/**
 * A failed system call: the call, its object, the errno and the C library's text for it. The
 * category follows the errno (ENOENT → NOT_FOUND, EEXIST → ALREADY_EXISTS, EPERM/EACCES →
 * PERMISSION_DENIED, ENOTSUP/ENOSYS → NOT_IMPLEMENTED, EBUSY → UNAVAILABLE, EINVAL → INVALID_ARGUMENT,
 * else INTERNAL). Immutable.
 */
public final class SysException extends BerthException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public SysException(String call, String object, int errno, String text) {
        super(category(errno), call + " " + object + ": " + text + " (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    private static ErrorCategory category(int errno) {
        return switch (errno) {
            case Errno.ENOENT, Errno.ENOTDIR -> ErrorCategory.NOT_FOUND;
            case Errno.EEXIST -> ErrorCategory.ALREADY_EXISTS;
            case Errno.EPERM, Errno.EACCES -> ErrorCategory.PERMISSION_DENIED;
            case Errno.ENOTSUP, Errno.ENOSYS -> ErrorCategory.NOT_IMPLEMENTED;
            case Errno.EBUSY -> ErrorCategory.UNAVAILABLE;
            case Errno.EINVAL -> ErrorCategory.INVALID_ARGUMENT;
            default -> ErrorCategory.INTERNAL;
        };
    }
}
