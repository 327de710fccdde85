package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.sys.Errno;
import dev.berth.engine.sys.Sys;
import dev.berth.engine.sys.SysException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * delete. Not thread-safe; one instance per layer.
 */
final class LayerWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LayerWriter.class);
    private static final String WH = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final long MAX_TIME_NANOS = Long.MAX_VALUE;
    /** The JDK maps file names to bytes with this charset; anything but UTF-8 would mangle names. */
    private static final String NAME_ENCODING = System.getProperty("sun.jnu.encoding", "UTF-8");

    private record DirTimes(Path path, long atime, long mtime) {
    }

    private final Path root;
    private final List<Path> lowers;
    private final boolean overlay;
    private final List<DirTimes> dirTimes = new ArrayList<>();
    private final Set<Path> unpacked = new HashSet<>();
    /** Directories checked or made in this layer: skips repeated lstats of the same parents. */
    private final Set<Path> knownDirs = new HashSet<>();
    /** Directories made only because an entry needed them (relative, parents first), overlay mode. */
    private final java.util.LinkedHashSet<String> createdParents = new java.util.LinkedHashSet<>();
    /**
     * For directories whose owner and mode this layer set: the group a new entry in them gets. A new
     * entry already owned by the effective uid and that group needs no lchown (which would only
     * dirty its inode again). Absent: unknown, always lchown.
     */
    private final Map<Path, Integer> childGroup = new HashMap<>();
    private final int euid = Sys.geteuid();
    private final int egid = Sys.getegid();
    private final byte[] buffer = new byte[1 << 16];

    LayerWriter(Path root, List<Path> lowers, boolean overlay) {
        this.root = root;
        this.lowers = lowers;
        this.overlay = overlay;
    }

    void write(TarHeader h, InputStream data) throws IOException {
        if (!NAME_ENCODING.equalsIgnoreCase("UTF-8") && !h.name().chars().allMatch(c -> c < 0x80)) {
            throw BerthException.unavailable("layer entry %s has a non-ASCII name but this JVM encodes file names as "
                    + "%s; run Berth with a UTF-8 locale (LANG=C.UTF-8)", h.name(), NAME_ENCODING);
        }
        List<String> comps = ScopedPaths.clean(h.name(), h.name());
        if (comps.isEmpty()) {
            return;
        }
        String base = comps.get(comps.size() - 1);
        List<String> parentComps = comps.subList(0, comps.size() - 1);
        Path parent = ScopedPaths.resolveDir(root, parentComps, h.name(), knownDirs);
        Path path = parent.resolve(base);
        if (!parent.equals(root) && !knownDirs.contains(parent)) {
            mkparent(parent);
            for (Path d = parent; d != null && !d.equals(root); d = d.getParent()) {
                knownDirs.add(d);
            }
        }
        if (base.startsWith(WH)) {
            whiteout(h, parent, base);
            return;
        }
        FileTree.Stat existing = h.isRegular() ? null : FileTree.lstat(path);
        if (existing != null && !(existing.isDir() && h.isDir())) {
            delete(path);
        }
        // whether the entry is new here, so already owned by euid and the group its directory gives
        boolean fresh = !(existing != null && existing.isDir() && h.isDir());
        switch (h.type()) {
            case TarHeader.DIR -> {
                if (existing == null || !existing.isDir()) {
                    Files.createDirectory(path);
                }
                knownDirs.add(path);
                createdParents.remove(root.relativize(path).toString());
            }
            case TarHeader.REG, TarHeader.CONT -> fresh &= writeFile(path, data);
            case TarHeader.SYMLINK -> Sys.symlink(h.linkName(), path);
            case TarHeader.LINK -> Files.createLink(path, linkTarget(h));
            case TarHeader.CHAR -> Sys.mknod(path, Sys.S_IFCHR | h.mode(), h.devMajor(), h.devMinor());
            case TarHeader.BLOCK -> Sys.mknod(path, Sys.S_IFBLK | h.mode(), h.devMajor(), h.devMinor());
            case TarHeader.FIFO -> Sys.mknod(path, Sys.S_IFIFO | h.mode(), 0, 0);
            default -> throw TarReader.bad("entry " + h.name() + " has unsupported type '" + h.type() + "'");
        }
        // a hardlink shares its target's inode, whose owner may differ: always set
        Integer group = childGroup.get(parent);
        if (!fresh || h.type() == TarHeader.LINK || h.uid() != euid || group == null || h.gid() != group) {
            Sys.lchown(path, h.uid(), h.gid());
        }
        setXattrs(h, path);
        if (h.type() != TarHeader.SYMLINK && !(h.type() == TarHeader.LINK && FileTree.lstat(path).isSymlink())) {
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
    List<String> createdParents() {
        return List.copyOf(createdParents);
    }

    /** Deletes {@code path} (and below); forgets cached directories, which may have gone with it. */
    private void delete(Path path) {
        if (FileTree.lstat(path) != null) {
            FileTree.deleteRecursively(path);
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

    private void whiteout(TarHeader h, Path parent, String base) {
        if (base.equals(OPAQUE)) {
            if (overlay) {
                Sys.setXattr(parent, "trusted.overlay.opaque", new byte[] {'y'});
            } else {
                emptyExceptUnpacked(parent);
            }
            return;
        }
        String victim = base.substring(WH.length());
        if (victim.isEmpty() || victim.equals(".") || victim.equals("..")) {
            throw BerthException.invalid("layer entry %s is an invalid whiteout name", h.name());
        }
        Path target = parent.resolve(victim);
        delete(target);
        if (overlay) {
            Sys.mknod(target, Sys.S_IFCHR, 0, 0);
            Sys.lchown(target, h.uid(), h.gid());
        }
    }

    private void emptyExceptUnpacked(Path dir) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path child : ds) {
                if (!unpacked.contains(child)) {
                    delete(child);
                }
            }
        } catch (IOException e) {
            throw BerthException.internal("cannot empty opaque directory " + dir + ": " + e, e);
        }
    }

    private Path linkTarget(TarHeader h) {
        List<String> comps = ScopedPaths.clean(h.linkName(), "hardlink " + h.name() + " -> " + h.linkName());
        if (comps.isEmpty()) {
            throw ScopedPaths.escape("hardlink " + h.name(), "points at the layer root");
        }
        Path dir = ScopedPaths.resolveDir(root, comps.subList(0, comps.size() - 1), h.name());
        Path target = dir.resolve(comps.get(comps.size() - 1));
        FileTree.Stat st = FileTree.lstat(target);
        if (st == null) {
            throw BerthException.invalid("layer entry %s is a hardlink to %s, which this layer does not contain",
                    h.name(), h.linkName());
        }
        if (st.isDir()) {
            throw BerthException.invalid("layer entry %s is a hardlink to directory %s", h.name(), h.linkName());
        }
        return target;
    }

    /** Writes a new regular file at {@code path}; false when something had to be deleted first. */
    private boolean writeFile(Path path, InputStream data) throws IOException {
        FileChannel opened;
        boolean first = true;
        try {
            opened = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // replaced, whatever it was (a directory goes with its contents)
            delete(path);
            first = false;
            opened = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
        try (FileChannel ch = opened) {
            int r;
            while ((r = data.read(buffer, 0, buffer.length)) > 0) {
                ByteBuffer bb = ByteBuffer.wrap(buffer, 0, r);
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
            }
        }
        return first;
    }

    private void setXattrs(TarHeader h, Path path) {
        for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
            String key = x.getKey();
            if (key.startsWith("trusted.")) {
                LOG.warn("layer entry {}: ignoring xattr {} (trusted.* is never taken from a layer)", h.name(), key);
                continue;
            }
            try {
                Sys.setXattr(path, key, x.getValue());
            } catch (SysException e) {
                if (e.errno() == Errno.ENOTSUP || (e.errno() == Errno.EPERM && key.startsWith("user."))) {
                    LOG.warn("layer entry {}: xattr {} not applied: {}", h.name(), key, e.getMessage());
                } else {
                    throw e;
                }
            }
        }
    }

    /** Creates the missing directories of {@code dir}, copying attributes from the lower layers. */
    private void mkparent(Path dir) throws IOException {
        FileTree.Stat st = FileTree.lstat(dir);
        if (st != null) {
            if (!st.isDir()) {
                throw BerthException.invalid("layer writes below %s, which is not a directory", root.relativize(dir));
            }
            return;
        }
        Path up = dir.getParent();
        if (up != null && up.startsWith(root) && !up.equals(root)) {
            mkparent(up);
        }
        Files.createDirectory(dir);
        Sys.chmod(dir, 0755);
        if (!overlay) {
            return;
        }
        createdParents.add(root.relativize(dir).toString());
        ParentCopyUp.copyUp(root, dir, lowers, true);
    }

    /** Times before the epoch or beyond what fits are written as the epoch, as containerd does. */
    private static long bound(long nanos) {
        return nanos < 0 || nanos >= MAX_TIME_NANOS ? 0 : nanos;
    }
}
