package dev.berth.engine.images.archive;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a directory tree as a layer tar, as {@code docker import} / {@code tar --xattrs -C DIR .}
 * would: entries in name order, never following symlinks; owners, modes (with setuid, setgid,
 * sticky), modification times, symlinks, hardlinks (later names of an inode as link entries to its
 * first name), character and block devices, fifos, and extended attributes as PAX
 * {@code SCHILY.xattr.*} records. Sockets are skipped, as tar does; so are extended attributes whose
 * value is not UTF-8 text (a PAX record holds text), which are logged. Stateless and thread-safe.
 */
final class RootfsTar {
    private static final Logger LOG = LoggerFactory.getLogger(RootfsTar.class);
    private static final int S_IFSOCK = 0140000;

    private RootfsTar() {
    }

    /** Writes the tree under {@code root} (the directory itself not included) to {@code out}; finishes the tar. */
    static void write(Path root, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        Map<String, String> firstNameOfInode = new HashMap<>();
        walk(root, root, tar, firstNameOfInode);
        tar.finish();
        tar.flush();
    }

    private static void walk(Path root, Path dir, TarArchiveOutputStream tar, Map<String, String> links)
            throws IOException {
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
        }
        for (Path p : children) {
            FileTree.Stat st = FileTree.lstat(p);
            if (st == null) {
                continue;
            }
            String name = root.relativize(p).toString();
            entry(p, name, st, tar, links);
            if (st.isDir()) {
                walk(root, p, tar, links);
            }
        }
    }

    private static void entry(Path p, String name, FileTree.Stat st, TarArchiveOutputStream tar,
            Map<String, String> links) throws IOException {
        TarArchiveEntry e;
        boolean data = false;
        switch (st.type()) {
            case 0040000 -> e = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
            case 0120000 -> {
                e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(p).toString());
            }
            case 0100000 -> {
                String key = st.dev() + ":" + st.ino();
                String first = st.nlink() > 1 ? links.putIfAbsent(key, name) : null;
                if (first != null) {
                    e = new TarArchiveEntry(name, TarConstants.LF_LINK);
                    e.setLinkName(first);
                } else {
                    e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
                    e.setSize(st.size());
                    data = true;
                }
            }
            case Sys.S_IFCHR, Sys.S_IFBLK -> {
                e = new TarArchiveEntry(name, st.type() == Sys.S_IFCHR ? TarConstants.LF_CHR : TarConstants.LF_BLK);
                long rdev = st.rdev();
                e.setDevMajor((int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL)));
                e.setDevMinor((int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL)));
            }
            case Sys.S_IFIFO -> e = new TarArchiveEntry(name, TarConstants.LF_FIFO);
            case S_IFSOCK -> {
                LOG.info("skipping socket {}", p);
                return;
            }
            default -> throw BerthException.invalid("%s has an unknown file type %o", p, st.type());
        }
        e.setMode(st.mode() & 07777);
        e.setUserId(st.uid());
        e.setGroupId(st.gid());
        e.setModTime(FileTime.from(st.mtimeNanos() / 1_000_000_000L, TimeUnit.SECONDS));
        xattrs(p, e);
        tar.putArchiveEntry(e);
        if (data) {
            try (InputStream in = Files.newInputStream(p)) {
                long n = in.transferTo(tar);
                if (n != st.size()) {
                    throw BerthException.precondition("%s changed size while it was imported (%d bytes, then %d); "
                            + "import a root file system nothing writes to", p, st.size(), n);
                }
            }
        }
        tar.closeArchiveEntry();
    }

    private static void xattrs(Path p, TarArchiveEntry e) {
        for (String n : Sys.listXattrs(p)) {
            byte[] v = Sys.getXattr(p, n);
            if (v == null) {
                continue;
            }
            try {
                String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(v)).toString();
                e.addPaxHeader("SCHILY.xattr." + n, text);
            } catch (CharacterCodingException ex) {
                LOG.warn("skipping extended attribute {} of {}: its value is binary", n, p);
            }
        }
    }
}
