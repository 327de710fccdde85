package dev.berth.engine.images.archive;

import dev.berth.engine.diff.TarEntryWriter;
import dev.berth.engine.fs.FileTree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes a directory tree as a layer tar, as {@code docker import} / {@code tar --xattrs -C DIR .}
 * would: entries in name order, never following symlinks, each written by {@link TarEntryWriter} with
 * all its extended attributes. Stateless and thread-safe.
 */
final class RootfsTar {
    private RootfsTar() {
    }

    /** Writes the tree under {@code root} (the directory itself not included) to {@code out}; finishes the tar. */
    static void write(Path root, OutputStream out) throws IOException {
        TarEntryWriter tar = new TarEntryWriter(out, name -> true);
        walk(root, root, tar);
        tar.finish();
    }

    private static void walk(Path root, Path dir, TarEntryWriter tar) throws IOException {
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        }
        for (Path p : children) {
            FileTree.Stat st = FileTree.lstat(p);
            if (st == null) {
                continue;
            }
            tar.entry(p, root.relativize(p).toString(), st);
            if (st.isDir()) {
                walk(root, p, tar);
            }
        }
    }
}
