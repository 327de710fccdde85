package dev.berth.engine.images.archive;

import com.github.luben.zstd.ZstdInputStream;
import dev.berth.engine.errdefs.BerthException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The entries of an image archive, read once in order: a tar (plain, gzip or zstd, detected from
 * the bytes) or a directory (an OCI image layout on disk; symlinks are reported, never followed).
 * Not thread-safe.
 */
abstract class ArchiveSource implements AutoCloseable {

    enum Kind { FILE, DIR, SYMLINK, HARDLINK, OTHER }

    /** One entry; {@code data} is valid until the next call to {@link #next()}. */
    record Entry(String rawName, Kind kind, long size, String link, InputStream data) {
    }

    /** The next entry, or null at the end. */
    abstract Entry next() throws IOException;

    @Override
    public abstract void close() throws IOException;

    static ArchiveSource open(Path path) {
        try {
            if (Files.isDirectory(path)) {
                return new DirSource(path);
            }
            if (!Files.isRegularFile(path)) {
                throw BerthException.notFound("%s is neither an image archive file nor an OCI layout directory", path);
            }
            InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
            in.mark(4);
            byte[] magic = in.readNBytes(4);
            in.reset();
            if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                in = new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            } else if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                    && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
                in = new BufferedInputStream(new ZstdInputStream(in), 1 << 16);
            }
            return new TarSource(new TarArchiveInputStream(in));
        } catch (IOException e) {
            throw BerthException.invalid("cannot read image archive %s: %s", path, e.getMessage());
        }
    }

    private static final class TarSource extends ArchiveSource {
        private final TarArchiveInputStream tar;

        TarSource(TarArchiveInputStream tar) {
            this.tar = tar;
        }

        @Override
        Entry next() throws IOException {
            TarArchiveEntry e = tar.getNextEntry();
            if (e == null) {
                return null;
            }
            Kind k = e.isDirectory() ? Kind.DIR
                    : e.isSymbolicLink() ? Kind.SYMLINK
                    : e.isLink() ? Kind.HARDLINK
                    : e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO() ? Kind.OTHER
                    : e.isFile() ? Kind.FILE : Kind.OTHER;
            return new Entry(e.getName(), k, e.getSize(), e.getLinkName(), tar);
        }

        @Override
        public void close() throws IOException {
            tar.close();
        }
    }

    private static final class DirSource extends ArchiveSource {
        private final Path root;
        private final List<Path> paths;
        private int i;
        private InputStream current;

        DirSource(Path root) throws IOException {
            this.root = root;
            try (Stream<Path> s = Files.walk(root)) {
                // metadata files last, as in the tars containerd writes: blobs are streamed first
                this.paths = s.filter(p -> !p.equals(root)).sorted().toList();
            }
        }

        @Override
        Entry next() throws IOException {
            if (current != null) {
                current.close();
                current = null;
            }
            if (i >= paths.size()) {
                return null;
            }
            Path p = paths.get(i++);
            String name = root.relativize(p).toString();
            if (Files.isSymbolicLink(p)) {
                return new Entry(name, Kind.SYMLINK, 0, Files.readSymbolicLink(p).toString(), InputStream.nullInputStream());
            }
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return new Entry(name, Kind.DIR, 0, null, InputStream.nullInputStream());
            }
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                return new Entry(name, Kind.OTHER, 0, null, InputStream.nullInputStream());
            }
            current = Files.newInputStream(p);
            return new Entry(name, Kind.FILE, Files.size(p), null, current);
        }

        @Override
        public void close() throws IOException {
            if (current != null) {
                current.close();
            }
        }
    }
}
