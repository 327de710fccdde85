package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.fs.RawFiles;
import dev.berth.engine.sys.RawPath;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Resolves tar entry names inside a root directory so that nothing can land outside it. Names are
 * bytes (as Linux names are) and are cleaned: {@code .} dropped, {@code ..} applied, a leading
 * {@code /} meaning the root. Symlinks met on the way are followed as a container would see them: an
 * absolute link target starts again at the root. A {@code ..} at the root stays at the root, as it
 * does in the kernel's lookup from {@code /} and in containerd's {@code fs.RootPath}: containerd
 * unpacks {@code ../../etc/x}, a parent symlink to {@code ../../../tmp} and a hardlink to
 * {@code ../../etc/passwd} inside the root, so Berth does too (ContainerdTarFormsIT), and no name,
 * link or symlink can reach outside it. Stateless.
 */
final class ScopedPaths {
    private static final int MAX_LINKS = 255;
    private static final byte[] DOT = {'.'};
    private static final byte[] DOTDOT = {'.', '.'};

    private ScopedPaths() {
    }

    /** The cleaned components of an entry name (empty for the root itself); {@code ..} stops at the root. */
    static List<byte[]> clean(byte[] name) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] c : RawPath.of(name).components()) {
            if (Arrays.equals(c, DOT)) {
                continue;
            }
            if (Arrays.equals(c, DOTDOT)) {
                if (!out.isEmpty()) {
                    out.remove(out.size() - 1);
                }
            } else {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * The real directory under {@code root} that {@code comps} name, following symlinks inside the
     * root. Components that do not exist yet are appended as they are (the caller creates them).
     */
    static RawPath resolveDir(RawPath root, List<byte[]> comps, String entry) {
        return resolveDir(root, comps, entry, Set.of());
    }

    /**
     * As {@link #resolveDir(RawPath, List, String)}, trusting that every path in {@code knownDirs} is
     * a real directory (no lstat needed): the applier's cache of directories it has checked or made.
     */
    static RawPath resolveDir(RawPath root, List<byte[]> comps, String entry, Set<RawPath> knownDirs) {
        RawPath direct = root.resolveAll(comps);
        if (knownDirs.contains(direct)) {
            return direct;
        }
        Deque<byte[]> todo = new ArrayDeque<>(comps);
        List<byte[]> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            byte[] c = todo.pollFirst();
            if (c.length == 0 || Arrays.equals(c, DOT)) {
                continue;
            }
            if (Arrays.equals(c, DOTDOT)) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            RawPath p = root.resolveAll(done).resolve(c);
            if (knownDirs.contains(p)) {
                done.add(c);
                continue;
            }
            FileTree.Stat st = RawFiles.lstat(p);
            if (st == null || !st.isSymlink()) {
                done.add(c);
                if (st == null) {
                    // the rest does not exist yet: nothing further to follow, '..' applies to the names
                    for (byte[] rest : todo) {
                        if (Arrays.equals(rest, DOTDOT)) {
                            if (!done.isEmpty()) {
                                done.remove(done.size() - 1);
                            }
                        } else if (rest.length > 0 && !Arrays.equals(rest, DOT)) {
                            done.add(rest);
                        }
                    }
                    return root.resolveAll(done);
                }
                continue;
            }
            if (++links > MAX_LINKS) {
                throw BerthException.invalid("layer entry %s: too many levels of symlinks", entry);
            }
            byte[] target = RawFiles.readlink(p);
            if (target.length > 0 && target[0] == '/') {
                done.clear();
            }
            List<byte[]> parts = RawPath.of(target).components();
            for (int i = parts.size() - 1; i >= 0; i--) {
                todo.addFirst(parts.get(i));
            }
        }
        return root.resolveAll(done);
    }
}
