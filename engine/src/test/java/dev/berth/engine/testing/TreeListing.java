package dev.berth.engine.testing;

import dev.berth.engine.fs.FileTree;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A normalised listing of a directory tree, one line per entry (the format of the shared bench's
 * rootfs_manifest.py): type, mode with setuid/setgid/sticky, owner, size and sha256 of files,
 * hardlink group, symlink target, device numbers, every xattr, and the mtime kept apart so callers
 * can decide how strictly to compare it. For entry-by-entry comparison of two unpackers. Stateless.
 */
public final class TreeListing {
    private TreeListing() {
    }

    /** One entry: everything but the mtime in {@code line}; {@code mtimeNanos} separately. */
    public record Entry(String path, String line, boolean dir, long mtimeNanos) {
    }

    /** Lists {@code root}, keyed by path relative to it ("/" for the root). */
    public static Map<String, Entry> list(Path root) {
        Map<String, FileTree.Stat> stats = new TreeMap<>();
        walk(root, root, stats);
        Map<Long, List<String>> inodes = new HashMap<>();
        stats.forEach((p, st) -> {
            if (!st.isDir() && st.nlink() > 1) {
                inodes.computeIfAbsent(st.ino(), k -> new ArrayList<>()).add(p);
            }
        });
        Map<String, Entry> out = new TreeMap<>();
        stats.forEach((p, st) -> {
            Path full = p.equals("/") ? root : root.resolve(p.substring(1));
            StringBuilder b = new StringBuilder(p);
            b.append(" type=").append(type(st.type()));
            b.append(" mode=").append(String.format("%04o", st.mode() & 07777));
            b.append(" uid=").append(st.uid()).append(" gid=").append(st.gid());
            if (st.isRegular()) {
                b.append(" size=").append(st.size()).append(" sha256=").append(sha256(full));
            }
            if (!st.isDir() && st.nlink() > 1) {
                b.append(" nlink=").append(st.nlink()).append(" hardlink=")
                        .append(inodes.get(st.ino()).stream().sorted().findFirst().orElseThrow());
            }
            if (st.isSymlink()) {
                try {
                    b.append(" target=").append(Files.readSymbolicLink(full));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (st.type() == 0020000 || st.type() == 0060000) {
                b.append(" rdev=").append(Sys.major(st.rdev())).append(':').append(Sys.minor(st.rdev()));
            }
            for (String x : Sys.listXattrs(full).stream().sorted().toList()) {
                byte[] v = Sys.getXattr(full, x);
                b.append(" xattr.").append(x).append('=').append(v == null ? "<none>" : HexFormat.of().formatHex(v));
            }
            out.put(p, new Entry(p, b.toString(), st.isDir(), st.mtimeNanos()));
        });
        return out;
    }

    private static void walk(Path root, Path p, Map<String, FileTree.Stat> out) {
        FileTree.Stat st = FileTree.lstat(p);
        String rel = p.equals(root) ? "/" : "/" + root.relativize(p);
        out.put(rel, st);
        if (st.isDir()) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    walk(root, c, out);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static String type(int t) {
        return switch (t) {
            case 0100000 -> "f";
            case 0040000 -> "d";
            case 0120000 -> "l";
            case 0020000 -> "c";
            case 0060000 -> "b";
            case 0010000 -> "p";
            case 0140000 -> "s";
            default -> "?";
        };
    }

    private static String sha256(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Differences between two listings, as "- expected" / "+ actual" lines. Mtimes must be equal,
     * except that two mtimes both at or after {@code volatileSinceNanos} (set by the unpacker at
     * unpack time, e.g. directories a layer writes into without carrying them) count as equal.
     */
    public static List<String> diff(Map<String, Entry> expected, Map<String, Entry> actual, long volatileSinceNanos) {
        List<String> out = new ArrayList<>();
        java.util.Set<String> all = new java.util.TreeSet<>(expected.keySet());
        all.addAll(actual.keySet());
        for (String p : all) {
            Entry e = expected.get(p);
            Entry a = actual.get(p);
            boolean same = e != null && a != null && e.line().equals(a.line())
                    && (e.mtimeNanos() == a.mtimeNanos()
                    || (e.mtimeNanos() >= volatileSinceNanos && a.mtimeNanos() >= volatileSinceNanos));
            if (!same) {
                if (e != null) {
                    out.add("- " + e.line() + " mtime=" + e.mtimeNanos());
                }
                if (a != null) {
                    out.add("+ " + a.line() + " mtime=" + a.mtimeNanos());
                }
            }
        }
        return out;
    }
}
