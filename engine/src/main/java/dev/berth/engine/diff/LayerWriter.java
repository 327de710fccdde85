package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.fs.RawFiles;
import dev.berth.engine.sys.Errno;
import dev.berth.engine.sys.RawPath;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.sys.SysException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one layer's entries into a directory with containerd's tar semantics. In overlay mode the
 * directory is a snapshot's upper directory and whiteouts become overlay whiteouts (char device 0/0,
 * {@code trusted.overlay.opaque=y}); missing parent directories copy their attributes from the
 * nearest lower layer that has them. In naive mode (native snapshotter, first layers) whiteouts
 * delete. Names are bytes from the tar to the kernel ({@link RawPath}), so the tree on disk has the
 * archive's exact names whatever their encoding. Not thread-safe; one instance per layer.
 */
final class LayerWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LayerWriter.class);
    private static final byte[] WH = {'.', 'w', 'h', '.'};
    private static final byte[] OPAQUE = ".wh..wh..opq".getBytes(StandardCharsets.US_ASCII);
    private static final long MAX_TIME_NANOS = Long.MAX_VALUE;

    private record DirTimes(RawPath path, long atime, long mtime) {
    }

    private final RawPath root;
    private final List<RawPath> lowers;
    private final boolean overlay;
    private final List<DirTimes> dirTimes = new ArrayList<>();
    private final Set<RawPath> unpacked = new HashSet<>();
    /** Directories checked or made in this layer: skips repeated lstats of the same parents. */
    private final Set<RawPath> knownDirs = new HashSet<>();
    /** Directories made only because an entry needed them (relative, parents first), overlay mode. */
    private final LinkedHashSet<RawPath> createdParents = new LinkedHashSet<>();
    /**
     * For directories whose owner and mode this layer set: the group a new entry in them gets. A new
     * entry already owned by the effective uid and that group needs no lchown (which would only
     * dirty its inode again). Absent: unknown, always lchown.
     */
    private final Map<RawPath, Integer> childGroup = new HashMap<>();
    private final int euid = Sys.geteuid();
    private final int egid = Sys.getegid();
    private final byte[] buffer = new byte[1 << 16];

    LayerWriter(Path root, List<Path> lowers, boolean overlay) {
        this.root = RawPath.of(root);
        this.lowers = lowers.stream().map(RawPath::of).toList();
        this.overlay = overlay;
    }

    void write(TarHeader h, InputStream data) throws IOException {
        List<byte[]> comps = ScopedPaths.clean(h.name());
        if (comps.isEmpty()) {
            return;
        }
        byte[] base = comps.get(comps.size() - 1);
        List<byte[]> parentComps = comps.subList(0, comps.size() - 1);
        RawPath parent = ScopedPaths.resolveDir(root, parentComps, h.shown(), knownDirs);
        RawPath path = parent.resolve(base);
        if (!parent.equals(root) && !knownDirs.contains(parent)) {
            mkparent(parent);
            for (RawPath d = parent; d != null && !d.equals(root); d = d.parent()) {
                knownDirs.add(d);
            }
        }
        if (startsWith(base, WH)) {
            whiteout(h, parent, base);
            return;
        }
        FileTree.Stat existing = h.isRegular() ? null : RawFiles.lstat(path);
        if (existing != null && !(existing.isDir() && h.isDir())) {
            delete(path);
        }
        // whether the entry is new here, so already owned by euid and the group its directory gives
        boolean fresh = !(existing != null && existing.isDir() && h.isDir());
        switch (h.type()) {
            case TarHeader.DIR -> {
                if (existing == null || !existing.isDir()) {
                    RawFiles.mkdir(path, 0755);
                }
                knownDirs.add(path);
                createdParents.remove(path.relativeTo(root));
            }
            case TarHeader.REG, TarHeader.CONT -> fresh &= writeFile(path, data);
            case TarHeader.SYMLINK -> Sys.symlink(RawPath.of(h.linkName()), path);
            case TarHeader.LINK -> RawFiles.link(linkTarget(h), path);
            case TarHeader.CHAR -> Sys.mknod(path, Sys.S_IFCHR | h.mode(), h.devMajor(), h.devMinor());
            case TarHeader.BLOCK -> Sys.mknod(path, Sys.S_IFBLK | h.mode(), h.devMajor(), h.devMinor());
            case TarHeader.FIFO -> Sys.mknod(path, Sys.S_IFIFO | h.mode(), 0, 0);
            default -> throw TarReader.bad("entry " + h.shown() + " has unsupported type '" + h.type() + "'");
        }
        // a hardlink shares its target's inode, whose owner may differ: always set
        Integer group = childGroup.get(parent);
        if (!fresh || h.type() == TarHeader.LINK || h.uid() != euid || group == null || h.gid() != group) {
            Sys.lchown(path, h.uid(), h.gid());
        }
        setXattrs(h, path);
        if (h.type() != TarHeader.SYMLINK && !(h.type() == TarHeader.LINK && RawFiles.lstat(path).isSymlink())) {
            Sys.chmod(path, h.mode());
        }
        long mtime = bound(h.mtimeNanos());
        long atime = bound(h.atimeNanos() != null && h.atimeNanos() > h.mtimeNanos() ? h.atimeNanos() : h.mtimeNanos());
        if (h.isDir()) {
            // setgid: entries take the directory's group; otherwise the creator's, unless the file
            // system gives the directory's group anyway (grpid): known only when both are the same
            if ((h.mode() & 02000) != 0) {
                childGroup.put(path, h.gid());
            } else if (h.gid() == egid) {
                childGroup.put(path, egid);
            } else {
                childGroup.remove(path);
            }
            dirTimes.add(new DirTimes(path, atime, mtime));
        } else {
            Sys.lutimes(path, atime, mtime);
        }
        if (!overlay) {
            unpacked.add(path);
        }
    }

    /** The directories this layer made for its entries without carrying them, parents first. */
    List<RawPath> createdParents() {
        return List.copyOf(createdParents);
    }

    /** Deletes {@code path} (and below); forgets cached directories, which may have gone with it. */
    private void delete(RawPath path) {
        if (RawFiles.lstat(path) != null) {
            RawFiles.deleteRecursively(path);
            knownDirs.clear();
            childGroup.clear();
        }
    }

    /** Sets directory times last, once nothing else will be written into them. */
    void finish() {
        for (DirTimes d : dirTimes) {
            Sys.lutimes(d.path(), d.atime(), d.mtime());
        }
    }

    private void whiteout(TarHeader h, RawPath parent, byte[] base) {
        if (Arrays.equals(base, OPAQUE)) {
            if (overlay) {
                Sys.setXattr(parent, "trusted.overlay.opaque", new byte[] {'y'});
            } else {
                emptyExceptUnpacked(parent);
            }
            return;
        }
        byte[] victim = Arrays.copyOfRange(base, WH.length, base.length);
        if (victim.length == 0 || Arrays.equals(victim, new byte[] {'.'}) || Arrays.equals(victim, new byte[] {'.', '.'})) {
            throw BerthException.invalid("layer entry %s is an invalid whiteout name", h.shown());
        }
        RawPath target = parent.resolve(victim);
        delete(target);
        if (overlay) {
            Sys.mknod(target, Sys.S_IFCHR, 0, 0);
            Sys.lchown(target, h.uid(), h.gid());
        }
    }

    private void emptyExceptUnpacked(RawPath dir) {
        for (byte[] name : RawFiles.list(dir)) {
            RawPath child = dir.resolve(name);
            if (!unpacked.contains(child)) {
                delete(child);
            }
        }
    }

    /**
     * The file a hardlink entry names, resolved inside the root as entry names are: an absolute or
     * {@code ./} target names a file of this image, not of the host.
     */
    private RawPath linkTarget(TarHeader h) {
        String link = RawPath.show(h.linkName());
        List<byte[]> comps = ScopedPaths.clean(h.linkName());
        if (comps.isEmpty()) {
            throw BerthException.invalid("layer entry %s is a hardlink to %s, the layer root directory", h.shown(), link);
        }
        RawPath dir = ScopedPaths.resolveDir(root, comps.subList(0, comps.size() - 1), h.shown());
        RawPath target = dir.resolve(comps.get(comps.size() - 1));
        FileTree.Stat st = RawFiles.lstat(target);
        if (st == null) {
            throw BerthException.invalid("layer entry %s is a hardlink to %s, which this layer does not contain",
                    h.shown(), link);
        }
        if (st.isDir()) {
            throw BerthException.invalid("layer entry %s is a hardlink to directory %s", h.shown(), link);
        }
        return target;
    }

    /** Writes a new regular file at {@code path}; false when something had to be deleted first. */
    private boolean writeFile(RawPath path, InputStream data) throws IOException {
        try {
            RawFiles.createFile(path, data, buffer);
            return true;
        } catch (SysException e) {
            if (e.errno() != Errno.EEXIST) {
                throw e;
            }
        }
        // replaced, whatever it was (a directory goes with its contents)
        delete(path);
        RawFiles.createFile(path, data, buffer);
        return false;
    }

    private void setXattrs(TarHeader h, RawPath path) {
        for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
            String key = x.getKey();
            if (key.startsWith("trusted.")) {
                LOG.warn("layer entry {}: ignoring xattr {} (trusted.* is never taken from a layer)", h.shown(), key);
                continue;
            }
            try {
                Sys.setXattr(path, key, x.getValue());
            } catch (SysException e) {
                if (e.errno() == Errno.ENOTSUP || (e.errno() == Errno.EPERM && key.startsWith("user."))) {
                    LOG.warn("layer entry {}: xattr {} not applied: {}", h.shown(), key, e.getMessage());
                } else {
                    throw e;
                }
            }
        }
    }

    /** Creates the missing directories of {@code dir}, copying attributes from the lower layers. */
    private void mkparent(RawPath dir) {
        FileTree.Stat st = RawFiles.lstat(dir);
        if (st != null) {
            if (!st.isDir()) {
                throw BerthException.invalid("layer writes below %s, which is not a directory", dir.relativeTo(root));
            }
            return;
        }
        RawPath up = dir.parent();
        if (up != null && up.startsWith(root) && !up.equals(root)) {
            mkparent(up);
        }
        RawFiles.mkdir(dir, 0755);
        Sys.chmod(dir, 0755);
        if (!overlay) {
            return;
        }
        createdParents.add(dir.relativeTo(root));
        ParentCopyUp.copyUp(root, dir, lowers, true);
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        return b.length >= prefix.length && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Times before the epoch or beyond what fits are written as the epoch, as containerd does. */
    private static long bound(long nanos) {
        return nanos < 0 || nanos >= MAX_TIME_NANOS ? 0 : nanos;
    }
}
