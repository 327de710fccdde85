package dev.berth.engine.mount;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.Errno;
import dev.berth.engine.sys.SysException;
import dev.berth.engine.sys.Sys;
import java.nio.file.Path;

/** Unmounting with umount2(2). Stateless and thread-safe; every method is idempotent. */
public final class Unmount {
    private static final int MAX_STACKED = 64;

    private Unmount() {
    }

    /**
     * Unmounts everything stacked on {@code target} until it is no longer a mount point. A busy
     * mount is retried briefly and then detached lazily (MNT_DETACH), as a leaked mount would
     * otherwise block removal of its snapshot forever. No-op when nothing is mounted there.
     */
    public static void unmountAll(Path target) {
        Path abs = target.toAbsolutePath();
        for (int i = 0; i < MAX_STACKED; i++) {
            if (!unmountOnce(abs)) {
                return;
            }
        }
        throw BerthException.internal("more than " + MAX_STACKED + " mounts stacked on " + abs, null);
    }

    /** Unmounts the top mount on {@code target}; false when it was not a mount point. */
    public static boolean unmountOnce(Path target) {
        for (int attempt = 0; ; attempt++) {
            try {
                Sys.umount(target, 0);
                return true;
            } catch (SysException e) {
                if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
                    return false;
                }
                if (e.errno() != Errno.EBUSY) {
                    throw e;
                }
                if (attempt >= 10) {
                    Sys.umount(target, Sys.MNT_DETACH);
                    return true;
                }
                try {
                    Thread.sleep(20L * (attempt + 1));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw BerthException.internal("interrupted while unmounting " + target, ie);
                }
            }
        }
    }
}
