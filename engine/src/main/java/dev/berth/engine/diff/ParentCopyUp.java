package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.sys.Sys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Gives a directory that a layer creates only as the parent of its entries the attributes the same
 * directory has in the nearest lower layer (mode, owner, non-{@code trusted.*} xattrs, and times when
 * asked), as containerd does; a lower layer with a non-directory there stops the search. Used while
 * applying, and after applying a layer in parallel with the layers below it. Stateless.
 */
public final class ParentCopyUp {
    private ParentCopyUp() {
    }

    /**
     * After a layer was applied into {@code upper} without its lower layers, copies attributes onto the
     * directories it made as parents ({@link AppliedLayer#createdParents()}) from {@code lowers}
     * (nearest first). Their times stay as they are: applying set them to the time of unpack.
     */
    public static void fix(Path upper, List<String> createdParents, List<Path> lowers) {
        for (String rel : createdParents) {
            Path dir = upper.resolve(rel);
            FileTree.Stat st = FileTree.lstat(dir);
            if (st != null && st.isDir()) {
                copyUp(upper, dir, lowers, false);
            }
        }
    }

    static void copyUp(Path root, Path dir, List<Path> lowers, boolean times) {
        Path rel = root.relativize(dir);
        List<String> comps = new ArrayList<>();
        rel.forEach(c -> comps.add(c.toString()));
        for (Path lower : lowers) {
            Path lp;
            try {
                lp = ScopedPaths.resolveDir(lower, comps, rel.toString());
            } catch (BerthException e) {
                return;
            }
            FileTree.Stat ls = FileTree.lstat(lp);
            if (ls == null) {
                continue;
            }
            if (!ls.isDir()) {
                return;
            }
            Sys.lchown(dir, ls.uid(), ls.gid());
            Sys.chmod(dir, ls.mode());
            if (times) {
                Sys.lutimes(dir, ls.atimeNanos(), ls.mtimeNanos());
            }
            for (String name : Sys.listXattrs(lp)) {
                if (!name.startsWith("trusted.")) {
                    byte[] v = Sys.getXattr(lp, name);
                    if (v != null) {
                        Sys.setXattr(dir, name, v);
                    }
                }
            }
            return;
        }
    }
}
