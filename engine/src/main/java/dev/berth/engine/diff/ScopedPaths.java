package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves tar entry names inside a root directory so that nothing can land outside it. Names are
 * cleaned ({@code .} dropped, {@code ..} applied); absolute names and names whose {@code ..} climb
 * above the root are refused. Symlinks met on the way are followed as a container would see them:
 * an absolute link target starts again at the root; a target whose {@code ..} would climb above the
 * root is refused. Stateless.
 */
final class ScopedPaths {
    private static final int MAX_LINKS = 255;

    private ScopedPaths() {
    }

    /** The cleaned components of an entry name (empty for the root itself). */
    static List<String> clean(String name, String what) {
        if (name.startsWith("/")) {
            throw escape(what, "is an absolute path");
        }
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (out.isEmpty()) {
                    throw escape(what, "climbs above the layer root with '..'");
                }
                out.remove(out.size() - 1);
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
    static Path resolveDir(Path root, List<String> comps, String entry) {
        return resolveDir(root, comps, entry, java.util.Set.of());
    }

    /**
     * As {@link #resolveDir(Path, List, String)}, trusting that every path in {@code knownDirs} is a
     * real directory (no lstat needed): the applier's cache of directories it has checked or made.
     */
    static Path resolveDir(Path root, List<String> comps, String entry, java.util.Set<Path> knownDirs) {
        Path direct = join(root, comps);
        if (knownDirs.contains(direct)) {
            return direct;
        }
        Deque<String> todo = new ArrayDeque<>(comps);
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (done.isEmpty()) {
                    throw escape(entry, "resolves through a symlink to a place above the layer root");
                }
                done.remove(done.size() - 1);
                continue;
            }
            Path p = join(root, done).resolve(c);
            if (knownDirs.contains(p)) {
                done.add(c);
                continue;
            }
            FileTree.Stat st = FileTree.lstat(p);
            if (st == null || !st.isSymlink()) {
                done.add(c);
                if (st == null) {
                    // the rest does not exist yet: nothing further to follow
                    done.addAll(todo.stream().filter(x -> !x.isEmpty() && !x.equals(".")).toList());
                    if (done.contains("..")) {
                        throw escape(entry, "has '..' below a directory that does not exist");
                    }
                    return join(root, done);
                }
                continue;
            }
            if (++links > MAX_LINKS) {
                throw BerthException.invalid("layer entry %s: too many levels of symlinks", entry);
            }
            String target;
            try {
                target = Files.readSymbolicLink(p).toString();
            } catch (IOException e) {
                throw BerthException.internal("cannot read symlink " + p + ": " + e, e);
            }
            if (target.startsWith("/")) {
                done.clear();
            }
            String[] parts = target.split("/");
            for (int i = parts.length - 1; i >= 0; i--) {
                todo.addFirst(parts[i]);
            }
        }
        return join(root, done);
    }

    private static Path join(Path root, List<String> comps) {
        Path p = root;
        for (String c : comps) {
            p = p.resolve(c);
        }
        return p;
    }

    static BerthException escape(String entry, String how) {
        return BerthException.invalid("layer entry %s %s; refusing a layer that writes outside its root", entry, how);
    }
}
