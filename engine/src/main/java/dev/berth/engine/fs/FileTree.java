package dev.berth.engine.fs;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Whole-tree operations on local directories that never follow symlinks: recursive delete, a
 * faithful copy (types, owners, modes, times, xattrs, hardlinks, devices) and disk usage.
 * Stateless and thread-safe.
 */
public final class FileTree {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private FileTree() {
    }

    /** Deletes {@code path} and everything below it; absent paths are fine. */
    public static void deleteRecursively(Path path) {
        try {
            if (!Files.exists(path, NOFOLLOW)) {
                return;
            }
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    if (exc != null && !(exc instanceof NoSuchFileException)) {
                        throw exc;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw BerthException.internal("cannot delete " + path + ": " + e, e);
        }
    }

    /** The attributes Berth reads from {@code lstat}. */
    public record Stat(int mode, int uid, int gid, long ino, long dev, long rdev, int nlink, long size,
            long atimeNanos, long mtimeNanos) {
        public boolean isDir() {
            return (mode & 0170000) == 0040000;
        }

        public boolean isRegular() {
            return (mode & 0170000) == 0100000;
        }

        public boolean isSymlink() {
            return (mode & 0170000) == 0120000;
        }

        public int type() {
            return mode & 0170000;
        }
    }

    /** lstat of {@code p}; null when it does not exist. */
    public static Stat lstat(Path p) {
        try {
            Map<String, Object> a = Files.readAttributes(p,
                    "unix:mode,uid,gid,ino,dev,rdev,nlink,size,lastAccessTime,lastModifiedTime", NOFOLLOW);
            return new Stat((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"),
                    (Long) a.get("ino"), (Long) a.get("dev"), (Long) a.get("rdev"), (Integer) a.get("nlink"),
                    (Long) a.get("size"), nanos((FileTime) a.get("lastAccessTime")),
                    nanos((FileTime) a.get("lastModifiedTime")));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw BerthException.internal("cannot stat " + p + ": " + e, e);
        }
    }

    private static long nanos(FileTime t) {
        return t.to(TimeUnit.NANOSECONDS);
    }

    /** Apparent size and inode count of the distinct inodes under {@code root} (containerd's du). */
    public static long[] usage(Path root) {
        // one lstat per entry through the walk's own attributes (no attribute maps): this runs on
        // every snapshot commit, over every file an unpacked layer wrote
        Set<Object> seen = new HashSet<>();
        long[] size = {0};
        try {
            if (!Files.exists(root, NOFOLLOW)) {
                return new long[] {0, 0};
            }
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    count(attrs);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    count(attrs);
                    return FileVisitResult.CONTINUE;
                }

                private void count(BasicFileAttributes attrs) {
                    if (seen.add(attrs.fileKey())) {
                        size[0] += attrs.size();
                    }
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }
            });
        } catch (IOException e) {
            throw BerthException.internal("cannot measure the disk usage of " + root + ": " + e, e);
        }
        return new long[] {size[0], seen.size()};
    }

    /**
     * Copies the tree {@code src} to {@code dst} (which must not exist) preserving everything an
     * image layer can carry; directory times are set after their contents. Xattrs that cannot be set
     * are skipped, as containerd's native snapshotter does.
     */
    public static void copy(Path src, Path dst) {
        Map<Long, Path> links = new HashMap<>();
        copyEntry(src, dst, links);
    }

    private static void copyEntry(Path src, Path dst, Map<Long, Path> links) {
        Stat st = lstat(src);
        if (st == null) {
            throw BerthException.notFound("cannot copy %s: it vanished", src);
        }
        try {
            if (!st.isDir() && st.nlink() > 1) {
                Path first = links.get(st.ino());
                if (first != null) {
                    Files.createLink(dst, first);
                    return;
                }
                links.put(st.ino(), dst);
            }
            switch (st.type()) {
                case 0040000 -> {
                    Files.createDirectory(dst);
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(src)) {
                        for (Path c : ds) {
                            copyEntry(c, dst.resolve(c.getFileName().toString()), links);
                        }
                    }
                }
                case 0100000 -> Files.copy(src, dst, NOFOLLOW);
                case 0120000 -> Files.createSymbolicLink(dst, Files.readSymbolicLink(src));
                default -> Sys.mknod(dst, st.mode(), Sys.major(st.rdev()), Sys.minor(st.rdev()));
            }
            Sys.lchown(dst, st.uid(), st.gid());
            for (String name : Sys.listXattrs(src)) {
                byte[] v = Sys.getXattr(src, name);
                if (v != null) {
                    try {
                        Sys.setXattr(dst, name, v);
                    } catch (BerthException ignored) {
                        // e.g. security.* refused by this file system: containerd tolerates it too
                    }
                }
            }
            if (!st.isSymlink()) {
                Sys.chmod(dst, st.mode());
            }
            Sys.lutimes(dst, st.atimeNanos(), st.mtimeNanos());
        } catch (IOException e) {
            throw BerthException.internal("cannot copy " + src + " to " + dst + ": " + e, e);
        }
    }
}
