package dev.berth.engine.diff;

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
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes files of a tree as layer tar entries the way containerd and {@code tar --xattrs} do: owners,
 * modes (with setuid, setgid, sticky), modification times in whole seconds, symlinks, hardlinks (later
 * names of an inode as link entries to its first name), character and block devices, fifos, and the
 * extended attributes the caller keeps as PAX {@code SCHILY.xattr.*} records; sockets are skipped, as
 * tar does; xattrs whose value is not UTF-8 text are logged and skipped (a PAX record holds text).
 * Long and non-ASCII names go in PAX headers. Not thread-safe: one per tar.
 */
public final class TarEntryWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TarEntryWriter.class);
    private static final int S_IFSOCK = 0140000;

    private final TarArchiveOutputStream tar;
    private final Predicate<String> keepXattr;
    private final Map<String, String> firstNameOfInode = new HashMap<>();

    /** A writer onto {@code out} keeping the extended attributes {@code keepXattr} accepts. */
    public TarEntryWriter(OutputStream out, Predicate<String> keepXattr) {
        this.tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        this.keepXattr = keepXattr;
    }

    /**
     * The name an earlier entry gave the inode of {@code st} when it has more than one link (this
     * name is then written as a hardlink to it), else null; remembers {@code name} for the next.
     */
    private String firstName(FileTree.Stat st, String name) {
        return st.isRegular() && st.nlink() > 1 ? firstNameOfInode.putIfAbsent(st.dev() + ":" + st.ino(), name) : null;
    }

    /** Writes {@code p} (stat {@code st}) as {@code name} ({@code name/} for directories). */
    public void entry(Path p, String name, FileTree.Stat st) throws IOException {
        TarArchiveEntry e;
        boolean data = false;
        switch (st.type()) {
            case 0040000 -> e = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
            case 0120000 -> {
                e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(p).toString());
            }
            case 0100000 -> {
                String first = firstName(st, name);
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
                    throw BerthException.precondition("%s changed size while it was read (%d bytes, then %d); "
                            + "nothing may write to a tree while it is archived", p, st.size(), n);
                }
            }
        }
        tar.closeArchiveEntry();
    }

    /** Writes a hardlink entry {@code name} to the earlier entry {@code target}. */
    public void link(String name, String target, FileTree.Stat st) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK);
        e.setLinkName(target);
        e.setMode(st.mode() & 07777);
        e.setUserId(st.uid());
        e.setGroupId(st.gid());
        e.setModTime(FileTime.from(st.mtimeNanos() / 1_000_000_000L, TimeUnit.SECONDS));
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    /** Writes the whiteout {@code dir/.wh.base} that deletes {@code dir/base} (an empty file, as containerd). */
    public void whiteout(String dir, String base, Instant time) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry((dir.isEmpty() ? "" : dir + "/") + ".wh." + base, TarConstants.LF_NORMAL);
        e.setSize(0);
        e.setMode(0);
        e.setModTime(FileTime.from(time.getEpochSecond(), TimeUnit.SECONDS));
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private void xattrs(Path p, TarArchiveEntry e) {
        for (String n : Sys.listXattrs(p)) {
            if (!keepXattr.test(n)) {
                continue;
            }
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

    /** Ends the archive (the two zero blocks) and flushes; does not close the underlying stream. */
    public void finish() throws IOException {
        tar.finish();
        tar.flush();
    }

    @Override
    public void close() throws IOException {
        tar.close();
    }
}
