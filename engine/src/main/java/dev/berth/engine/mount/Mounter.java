package dev.berth.engine.mount;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.Sys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** Performs a {@link Mount} with mount(2). Stateless and thread-safe. */
final class Mounter {
    /** The kernel copies at most one page of mount data; containerd keeps 512 bytes of headroom. */
    static final int PAGE_SIZE = 4096;
    static final int LONG_DATA = PAGE_SIZE - 512;
    private static final String[] DIR_OPTIONS = {"lowerdir=", "upperdir=", "workdir="};

    private Mounter() {
    }

    static void mount(Mount m, Path target) {
        Path abs = target.toAbsolutePath();
        MountOptions o = MountOptions.parse(m.options());
        long flags = o.flags();
        String data = o.data();
        if (m.type().equals("overlay") && data.length() >= LONG_DATA) {
            mountRelative(m, abs, flags, data);
        } else if ((flags & Sys.MS_REMOUNT) == 0 || !data.isEmpty()) {
            // a read-only bind needs a bind first and a read-only remount after
            long first = (flags & Sys.MS_BIND) != 0 ? flags & ~Sys.MS_RDONLY : flags;
            Sys.mount(m.source(), abs, m.type(), first, data);
        }
        if (o.propagation() != 0) {
            Sys.mount(null, abs, null, o.propagation(), null);
        }
        if ((flags & Sys.MS_BIND) != 0 && (flags & Sys.MS_RDONLY) != 0) {
            try {
                Sys.mount(null, abs, null, Sys.MS_REMOUNT | Sys.MS_BIND | flags & ~Sys.MS_REC, null);
            } catch (RuntimeException e) {
                Unmount.unmountAll(abs);
                throw e;
            }
        }
    }

    /**
     * Mounts an overlay whose option string is too long for one page: the directories are rewritten
     * relative to their common parent, and the mount is made from a short-lived thread that has its
     * own working directory (unshare(CLONE_FS) + chdir), so the rest of the JVM never moves.
     */
    private static void mountRelative(Mount m, Path target, long flags, String data) {
        List<String> dirs = new ArrayList<>();
        for (String opt : data.split(",")) {
            for (String key : DIR_OPTIONS) {
                if (opt.startsWith(key)) {
                    for (String d : opt.substring(key.length()).split(":")) {
                        dirs.add(d);
                    }
                }
            }
        }
        Path base = commonParent(dirs);
        if (base == null) {
            throw BerthException.invalid("overlay mount options of %s are %d bytes (limit %d) and the layer "
                    + "directories share no parent to shorten them against", target, data.length(), PAGE_SIZE);
        }
        String prefix = base.toString().endsWith("/") ? base.toString() : base + "/";
        List<String> rewritten = new ArrayList<>();
        for (String opt : data.split(",")) {
            String out = opt;
            for (String key : DIR_OPTIONS) {
                if (opt.startsWith(key)) {
                    List<String> rel = new ArrayList<>();
                    for (String d : opt.substring(key.length()).split(":")) {
                        rel.add(d.startsWith(prefix) ? d.substring(prefix.length()) : d);
                    }
                    out = key + String.join(":", rel);
                }
            }
            rewritten.add(out);
        }
        String shortData = String.join(",", rewritten);
        if (shortData.length() >= PAGE_SIZE) {
            throw BerthException.invalid("overlay mount options of %s are %d bytes even relative to %s (limit %d): "
                    + "the image has too many layers for one overlay mount", target, shortData.length(), base, PAGE_SIZE);
        }
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Sys.unshare(Sys.CLONE_FS);
                Sys.chdir(base);
                Sys.mount(m.source(), target, m.type(), flags, shortData);
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "berth-mount-relative");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BerthException.internal("interrupted while mounting " + target, e);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /** The longest common directory of absolute paths, or null. */
    static Path commonParent(List<String> dirs) {
        if (dirs.isEmpty()) {
            return null;
        }
        Path common = Path.of(dirs.get(0)).getParent();
        for (String d : dirs) {
            Path p = Path.of(d);
            while (common != null && !p.startsWith(common)) {
                common = common.getParent();
            }
        }
        return common == null || !common.isAbsolute() || common.getNameCount() == 0 ? null : common;
    }
}
