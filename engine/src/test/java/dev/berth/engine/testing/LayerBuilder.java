package dev.berth.engine.testing;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds one layer tar from an in-memory list of entries: directories, regular files (mode, owner,
 * xattrs), symlinks, hardlinks, devices, fifos, whiteouts and opaque markers. Entries are written in
 * the order added, with a fixed mtime, so the same list always gives the same bytes. Not
 * thread-safe.
 */
public final class LayerBuilder {
    /** How the layer blob is compressed. */
    public enum Compression { NONE, GZIP, ZSTD }

    /** The mtime of every entry unless set: 2020-01-01T00:00:00Z. */
    public static final long DEFAULT_MTIME = 1577836800L;

    /** One tar entry as added. */
    public static final class Entry {
        final String name;
        final byte type;
        byte[] data = new byte[0];
        String link;
        int mode;
        int uid;
        int gid;
        int devMajor;
        int devMinor;
        long mtime = DEFAULT_MTIME;
        final Map<String, String> xattrs = new LinkedHashMap<>();

        Entry(String name, byte type, int mode) {
            this.name = name;
            this.type = type;
            this.mode = mode;
        }

        /** Sets the owner. */
        public Entry owner(int u, int g) {
            this.uid = u;
            this.gid = g;
            return this;
        }

        /** Sets the permission bits (and setuid/setgid/sticky). */
        public Entry mode(int m) {
            this.mode = m;
            return this;
        }

        /** Sets the mtime in seconds since the epoch. */
        public Entry mtime(long seconds) {
            this.mtime = seconds;
            return this;
        }

        /** Adds an extended attribute (PAX {@code SCHILY.xattr.<key>}). */
        public Entry xattr(String key, String value) {
            xattrs.put(key, value);
            return this;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private Compression compression = Compression.GZIP;

    public static LayerBuilder create() {
        return new LayerBuilder();
    }

    public LayerBuilder compression(Compression c) {
        this.compression = c;
        return this;
    }

    public Compression compression() {
        return compression;
    }

    private Entry add(Entry e) {
        entries.add(e);
        return e;
    }

    /** A directory with mode 0755 (the returned entry takes further settings). */
    public Entry dir(String path) {
        return add(new Entry(dirName(path), TarConstants.LF_DIR, 0755));
    }

    public Entry file(String path, String content) {
        return file(path, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    public Entry file(String path, byte[] content, int mode) {
        Entry e = new Entry(path, TarConstants.LF_NORMAL, mode);
        e.data = content;
        return add(e);
    }

    public Entry symlink(String path, String target) {
        Entry e = new Entry(path, TarConstants.LF_SYMLINK, 0777);
        e.link = target;
        return add(e);
    }

    /** A hardlink to an earlier entry {@code target} (a path inside the layer). */
    public Entry hardlink(String path, String target) {
        Entry e = new Entry(path, TarConstants.LF_LINK, 0644);
        e.link = target;
        return add(e);
    }

    public Entry charDevice(String path, int major, int minor) {
        Entry e = new Entry(path, TarConstants.LF_CHR, 0666);
        e.devMajor = major;
        e.devMinor = minor;
        return add(e);
    }

    public Entry fifo(String path) {
        return add(new Entry(path, TarConstants.LF_FIFO, 0644));
    }

    /** An AUFS-style whiteout hiding {@code path} of lower layers: {@code dir/.wh.name}. */
    public Entry whiteout(String path) {
        int i = path.lastIndexOf('/');
        String name = i < 0 ? ".wh." + path : path.substring(0, i + 1) + ".wh." + path.substring(i + 1);
        return file(name, new byte[0], 0644);
    }

    /** Marks directory {@code dir} opaque: {@code dir/.wh..wh..opq}. */
    public Entry opaque(String dir) {
        return file(dirName(dir) + ".wh..wh..opq", new byte[0], 0644);
    }

    /** An entry with an arbitrary raw name (e.g. {@code ../escape}) for hostile-input tests. */
    public Entry raw(String name, byte type, byte[] data, String link) {
        Entry e = new Entry(name, type, 0644);
        e.data = data;
        e.link = link;
        return add(e);
    }

    private static String dirName(String p) {
        return p.endsWith("/") ? p : p + "/";
    }

    /** The uncompressed tar (its sha256 is the layer's diff_id). */
    public byte[] tar() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (Entry e : entries) {
                TarArchiveEntry t = new TarArchiveEntry(e.name, e.type, true);
                t.setMode(e.mode);
                t.setUserId(e.uid);
                t.setGroupId(e.gid);
                t.setModTime(new Date(e.mtime * 1000));
                if (e.link != null) {
                    t.setLinkName(e.link);
                }
                if (e.type == TarConstants.LF_CHR || e.type == TarConstants.LF_BLK) {
                    t.setDevMajor(e.devMajor);
                    t.setDevMinor(e.devMinor);
                }
                if (e.type == TarConstants.LF_NORMAL) {
                    t.setSize(e.data.length);
                }
                e.xattrs.forEach((k, v) -> t.addPaxHeader("SCHILY.xattr." + k, v));
                tar.putArchiveEntry(t);
                if (e.type == TarConstants.LF_NORMAL) {
                    tar.write(e.data);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The layer blob: {@link #tar()} compressed as set. */
    public byte[] blob() {
        return compress(tar(), compression);
    }

    static byte[] compress(byte[] data, Compression c) {
        if (c == Compression.NONE) {
            return data;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = c == Compression.GZIP ? new GZIPOutputStream(out) : new ZstdOutputStream(out)) {
            z.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
