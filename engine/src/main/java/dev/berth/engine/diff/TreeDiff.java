package dev.berth.engine.diff;

import dev.berth.engine.fs.CloseShieldOutputStream;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The changes from a lower tree to an upper tree, written as an OCI layer tar, with the rules of
 * containerd's walking differ: both trees are walked together in name order; an entry only in the
 * upper tree, or differing (type, mode, owner, device, {@code security.capability}; for non-directories
 * also size and modification time, and content when both times are whole seconds), is written with
 * its parent directories first; an entry only in the lower tree becomes a {@code .wh.} whiteout (one
 * for a whole directory); of extended attributes only {@code security.capability} is kept, as
 * containerd does. Hardlinks within the upper tree stay hardlinks. Stateless and thread-safe.
 */
public final class TreeDiff {
    private static final String CAPABILITY = "security.capability";

    private TreeDiff() {
    }

    /** Writes the layer that turns {@code lower} into {@code upper} to {@code out} and finishes the tar. */
    public static void write(Path lower, Path upper, OutputStream out, Instant whiteoutTime) throws IOException {
        try (TarEntryWriter tar = new TarEntryWriter(new CloseShieldOutputStream(out), CAPABILITY::equals)) {
            new Walk(upper, tar, whiteoutTime).dir(lower, upper, "");
            tar.finish();
        }
    }

    /** One walk: which parent directories were written, and hardlinks met but not yet written. */
    private static final class Walk {
        private final Path upperRoot;
        private final TarEntryWriter tar;
        private final Instant whiteoutTime;
        private final Set<String> writtenDirs = new HashSet<>();
        private final Map<String, List<String>> unchangedLinks = new HashMap<>();
        private final Map<String, String> inodeSrc = new HashMap<>();

        Walk(Path upperRoot, TarEntryWriter tar, Instant whiteoutTime) {
            this.upperRoot = upperRoot;
            this.tar = tar;
            this.whiteoutTime = whiteoutTime;
        }

        void dir(Path lower, Path upper, String rel) throws IOException {
            TreeSet<String> names = new TreeSet<>();
            names.addAll(children(lower));
            names.addAll(children(upper));
            for (String n : names) {
                String name = rel.isEmpty() ? n : rel + "/" + n;
                Path l = lower == null ? null : lower.resolve(n);
                Path u = upper == null ? null : upper.resolve(n);
                FileTree.Stat ls = l == null ? null : FileTree.lstat(l);
                FileTree.Stat us = u == null ? null : FileTree.lstat(u);
                if (us == null) {
                    if (ls != null) {
                        parents(rel);
                        tar.whiteout(rel, n, whiteoutTime);
                    }
                    continue;
                }
                if (ls == null) {
                    added(u, name, us);
                } else if (!same(l, ls, u, us)) {
                    changed(u, name, us);
                } else if (us.isRegular() && us.nlink() > 1) {
                    // an unchanged name of a linked inode: kept as a link once another name of it is written
                    String src = inodeSrc.get(inode(us));
                    if (src != null) {
                        parents(rel);
                        tar.link(name, src, us);
                    } else {
                        unchangedLinks.computeIfAbsent(inode(us), k -> new ArrayList<>()).add(name);
                    }
                }
                if (us.isDir()) {
                    dir(ls != null && ls.isDir() ? l : null, u, name);
                }
            }
        }

        private void added(Path u, String name, FileTree.Stat st) throws IOException {
            changed(u, name, st);
        }

        private void changed(Path u, String name, FileTree.Stat st) throws IOException {
            parents(parentOf(name));
            tar.entry(u, name, st); // a later name of an inode already written becomes a link entry here
            if (st.isDir()) {
                writtenDirs.add(name);
            }
            if (st.isRegular() && st.nlink() > 1 && inodeSrc.putIfAbsent(inode(st), name) == null) {
                // unchanged names met earlier now link to this one
                for (String m : unchangedLinks.getOrDefault(inode(st), List.of())) {
                    parents(parentOf(m));
                    tar.link(m, name, st);
                }
                unchangedLinks.remove(inode(st));
            }
        }

        private static String inode(FileTree.Stat st) {
            return st.dev() + ":" + st.ino();
        }

        /** Writes the directories leading to {@code rel} that are not in the tar yet, outermost first. */
        private void parents(String rel) throws IOException {
            if (rel.isEmpty() || writtenDirs.contains(rel)) {
                return;
            }
            parents(parentOf(rel));
            Path p = upperRoot.resolve(rel);
            FileTree.Stat st = FileTree.lstat(p);
            if (st != null) {
                tar.entry(p, rel, st);
            }
            writtenDirs.add(rel);
        }
    }

    private static String parentOf(String name) {
        int i = name.lastIndexOf('/');
        return i < 0 ? "" : name.substring(0, i);
    }

    private static List<String> children(Path dir) throws IOException {
        if (dir == null) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** containerd's (continuity's) sameness test. */
    static boolean same(Path l, FileTree.Stat ls, Path u, FileTree.Stat us) throws IOException {
        if (ls.dev() == us.dev() && ls.ino() == us.ino()) {
            return true;
        }
        if (ls.mode() != us.mode() || ls.uid() != us.uid() || ls.gid() != us.gid() || ls.rdev() != us.rdev()) {
            return false;
        }
        if (!Arrays.equals(capability(l), capability(u))) {
            return false;
        }
        if (us.isDir()) {
            return true;
        }
        if (ls.size() != us.size()) {
            return false;
        }
        long lsec = Math.floorDiv(ls.mtimeNanos(), 1_000_000_000L);
        long usec = Math.floorDiv(us.mtimeNanos(), 1_000_000_000L);
        if (lsec != usec) {
            return false;
        }
        long lns = Math.floorMod(ls.mtimeNanos(), 1_000_000_000L);
        long uns = Math.floorMod(us.mtimeNanos(), 1_000_000_000L);
        if (lns == 0 && uns == 0) {
            // times may have been truncated (an unpacked layer): compare what the files hold
            if (us.isSymlink()) {
                return Files.readSymbolicLink(l).equals(Files.readSymbolicLink(u));
            }
            return us.size() == 0 || !us.isRegular() || sameContent(l, u);
        }
        return lns == uns;
    }

    private static byte[] capability(Path p) {
        byte[] v = Sys.getXattr(p, CAPABILITY);
        return v == null ? new byte[0] : v;
    }

    private static boolean sameContent(Path a, Path b) throws IOException {
        try (InputStream x = Files.newInputStream(a); InputStream y = Files.newInputStream(b)) {
            byte[] bx = new byte[1 << 16];
            byte[] by = new byte[1 << 16];
            while (true) {
                int nx = x.readNBytes(bx, 0, bx.length);
                int ny = y.readNBytes(by, 0, by.length);
                if (nx != ny || !Arrays.equals(bx, 0, nx, by, 0, ny)) {
                    return false;
                }
                if (nx == 0) {
                    return true;
                }
            }
        }
    }
}
