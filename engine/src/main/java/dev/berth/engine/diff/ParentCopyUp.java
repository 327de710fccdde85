package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.fs.RawFiles;
import dev.berth.engine.sys.RawPath;
import dev.berth.engine.sys.Sys;
import java.nio.file.Path;
import java.util.List;

/**
 * Gives a directory that a layer creates only as the parent of its entries the attributes the same
 * directory has in the nearest lower layer (mode, owner, non-{@code trusted.*} xattrs, and times when
 * asked), as containerd does; a lower layer with a non-directory there stops the search. Used while
 * applying, and after applying a layer in parallel with the layers below it. Names are bytes
 * ({@link RawPath}). Stateless.
 */
public final class ParentCopyUp {
    private ParentCopyUp() {
    }

    /**
     * After a layer was applied into {@code upper} without its lower layers, copies attributes onto the
     * directories it made as parents ({@link AppliedLayer#createdParents()}) from {@code lowers}
     * (nearest first). Their times stay as they are: applying set them to the time of unpack.
     */
    public static void fix(Path upper, List<RawPath> createdParents, List<Path> lowers) {
        RawPath root = RawPath.of(upper);
        List<RawPath> rawLowers = lowers.stream().map(RawPath::of).toList();
        for (RawPath rel : createdParents) {
            RawPath dir = root.resolve(rel);
            FileTree.Stat st = RawFiles.lstat(dir);
            if (st != null && st.isDir()) {
                copyUp(root, dir, rawLowers, false);
            }
        }
    }

    static void copyUp(RawPath root, RawPath dir, List<RawPath> lowers, boolean times) {
        RawPath rel = dir.relativeTo(root);
        List<byte[]> comps = rel.components();
        for (RawPath lower : lowers) {
            RawPath lp;
            try {
                lp = ScopedPaths.resolveDir(lower, comps, rel.toString());
            } catch (BerthException e) {
                return;
            }
            FileTree.Stat ls = RawFiles.lstat(lp);
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
