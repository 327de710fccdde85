package dev.berth.engine.images.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Where an export writes its files: a tar stream or a directory. Not thread-safe. */
abstract class ArchiveSink implements AutoCloseable {

    /** Adds a file of exactly {@code size} bytes read from {@code data}. */
    abstract void add(String name, long size, InputStream data) throws IOException;

    void add(String name, byte[] data) throws IOException {
        add(name, data.length, new java.io.ByteArrayInputStream(data));
    }

    /** Completes the archive (the tar trailer). */
    abstract void finish() throws IOException;

    @Override
    public abstract void close() throws IOException;

    static ArchiveSink tar(OutputStream out) {
        return new Tar(out);
    }

    static ArchiveSink dir(Path dir) {
        return new Dir(dir);
    }

    private static final class Tar extends ArchiveSink {
        private final TarArchiveOutputStream tar;
        private final Set<String> dirs = new HashSet<>();

        Tar(OutputStream out) {
            tar = new TarArchiveOutputStream(out, 1 << 16);
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        @Override
        void add(String name, long size, InputStream data) throws IOException {
            for (int i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
                String d = name.substring(0, i + 1);
                if (dirs.add(d)) {
                    TarArchiveEntry e = new TarArchiveEntry(d);
                    e.setMode(040755);
                    tar.putArchiveEntry(e);
                    tar.closeArchiveEntry();
                }
            }
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(size);
            e.setMode(0100444);
            tar.putArchiveEntry(e);
            long n = data.transferTo(tar);
            if (n != size) {
                throw new IOException(name + ": wrote " + n + " bytes, expected " + size);
            }
            tar.closeArchiveEntry();
        }

        @Override
        void finish() throws IOException {
            tar.finish();
            tar.flush();
        }

        @Override
        public void close() throws IOException {
            tar.close();
        }
    }

    private static final class Dir extends ArchiveSink {
        private final Path dir;

        Dir(Path dir) {
            this.dir = dir;
        }

        @Override
        void add(String name, long size, InputStream data) throws IOException {
            Path p = dir.resolve(name);
            Files.createDirectories(p.getParent());
            try (OutputStream out = Files.newOutputStream(p)) {
                long n = data.transferTo(out);
                if (n != size) {
                    throw new IOException(name + ": wrote " + n + " bytes, expected " + size);
                }
            }
        }

        @Override
        void finish() {
            // files are complete as written
        }

        @Override
        public void close() {
            // nothing held open
        }
    }
}
