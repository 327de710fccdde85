package dev.berth.engine.testing;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Builds layer tars byte by byte for tests, including the hostile ones no well-behaved tool writes
 * ({@code ../} names, absolute names, links out of the root). ustar headers, with a PAX record
 * when a field does not fit or xattrs are set. Not thread-safe.
 */
public final class LayerTarBuilder {
    public static final long EPOCH = 1_700_000_000L;

    /** One entry; fluent setters. */
    public static final class Entry {
        final String name;
        final char type;
        byte[] data = new byte[0];
        String link = "";
        int mode;
        long uid;
        long gid;
        long mtime = EPOCH;
        Long mtimeNanos;
        int major;
        int minor;
        final Map<String, byte[]> xattrs = new LinkedHashMap<>();
        final Map<String, byte[]> pax = new LinkedHashMap<>();
        byte[] rawName;
        byte[] rawLink;

        Entry(String name, char type, int mode) {
            this.name = name;
            this.type = type;
            this.mode = mode;
        }

        public Entry mode(int m) {
            this.mode = m;
            return this;
        }

        public Entry owner(long u, long g) {
            this.uid = u;
            this.gid = g;
            return this;
        }

        public Entry mtime(long seconds) {
            this.mtime = seconds;
            return this;
        }

        /** A sub-second mtime, written as a PAX record. */
        public Entry mtimeNanos(long nanos) {
            this.mtimeNanos = nanos;
            this.mtime = nanos / 1_000_000_000L;
            return this;
        }

        public Entry xattr(String key, byte[] value) {
            xattrs.put(key, value);
            return this;
        }

        public Entry xattr(String key, String value) {
            return xattr(key, value.getBytes(StandardCharsets.UTF_8));
        }

        /** The name as these exact bytes in the ustar header (any encoding, at most 100 bytes). */
        public Entry rawName(byte[] bytes) {
            this.rawName = bytes;
            return this;
        }

        /** The link target as these exact bytes in the ustar header. */
        public Entry rawLink(byte[] bytes) {
            this.rawLink = bytes;
            return this;
        }

        /** An extra PAX record, e.g. {@code path} with {@code hdrcharset=BINARY}. */
        public Entry pax(String key, byte[] value) {
            pax.put(key, value);
            return this;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private byte[] trailing = new byte[0];

    public Entry add(Entry e) {
        entries.add(e);
        return e;
    }

    public Entry dir(String name) {
        return add(new Entry(name, '5', 0755));
    }

    public Entry file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    public Entry file(String name, byte[] content) {
        Entry e = new Entry(name, '0', 0644);
        e.data = content;
        return add(e);
    }

    public Entry symlink(String name, String target) {
        Entry e = new Entry(name, '2', 0777);
        e.link = target;
        return add(e);
    }

    public Entry hardlink(String name, String target) {
        Entry e = new Entry(name, '1', 0644);
        e.link = target;
        return add(e);
    }

    public Entry fifo(String name) {
        return add(new Entry(name, '6', 0644));
    }

    public Entry charDevice(String name, int major, int minor) {
        Entry e = new Entry(name, '3', 0666);
        e.major = major;
        e.minor = minor;
        return add(e);
    }

    public Entry blockDevice(String name, int major, int minor) {
        Entry e = new Entry(name, '4', 0660);
        e.major = major;
        e.minor = minor;
        return add(e);
    }

    /** {@code dir/.wh.name}: deletes {@code name} from the layers below. */
    public Entry whiteout(String path) {
        int slash = path.lastIndexOf('/');
        String wh = slash < 0 ? ".wh." + path : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
        return file(wh, new byte[0]);
    }

    /** {@code dir/.wh..wh..opq}: hides everything below {@code dir} in lower layers. */
    public Entry opaque(String dir) {
        return file(dir + "/.wh..wh..opq", new byte[0]);
    }

    /** Bytes written after the end-of-archive blocks (they are part of the diff_id). */
    public LayerTarBuilder trailing(byte[] bytes) {
        this.trailing = bytes;
        return this;
    }

    public byte[] tar() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Entry e : entries) {
            writeEntry(out, e);
        }
        out.writeBytes(new byte[1024]);
        out.writeBytes(trailing);
        return out.toByteArray();
    }

    public byte[] gzip() {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
                gz.write(tar());
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public byte[] zstd() {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (ZstdOutputStream z = new ZstdOutputStream(b)) {
                z.write(tar());
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeEntry(ByteArrayOutputStream out, Entry e) {
        Map<String, byte[]> pax = new LinkedHashMap<>(e.pax);
        byte[] name = e.rawName != null ? e.rawName : e.name.getBytes(StandardCharsets.UTF_8);
        byte[] link = e.rawLink != null ? e.rawLink : e.link.getBytes(StandardCharsets.UTF_8);
        if (name.length > 100) {
            pax.put("path", name);
        }
        if (link.length > 100) {
            pax.put("linkpath", link);
        }
        if (e.uid > 07777777) {
            pax.put("uid", Long.toString(e.uid).getBytes(StandardCharsets.US_ASCII));
        }
        if (e.gid > 07777777) {
            pax.put("gid", Long.toString(e.gid).getBytes(StandardCharsets.US_ASCII));
        }
        if (e.mtimeNanos != null) {
            pax.put("mtime", String.format("%d.%09d", e.mtimeNanos / 1_000_000_000L, e.mtimeNanos % 1_000_000_000L)
                    .getBytes(StandardCharsets.US_ASCII));
        }
        e.xattrs.forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));
        if (!pax.isEmpty()) {
            ByteArrayOutputStream recs = new ByteArrayOutputStream();
            pax.forEach((k, v) -> recs.writeBytes(paxRecord(k, v)));
            byte[] data = recs.toByteArray();
            out.writeBytes(header(("PaxHeaders/" + shortName(e.name)).getBytes(StandardCharsets.UTF_8), new byte[0], 'x',
                    0644, 0, 0, data.length, e.mtime, 0, 0));
            out.writeBytes(data);
            out.writeBytes(new byte[(512 - data.length % 512) % 512]);
        }
        out.writeBytes(header(name.length > 100 ? shortName(e.name).getBytes(StandardCharsets.UTF_8) : name,
                link.length > 100 ? new byte[0] : link, e.type, e.mode,
                Math.min(e.uid, 07777777), Math.min(e.gid, 07777777), e.data.length, e.mtime, e.major, e.minor));
        out.writeBytes(e.data);
        out.writeBytes(new byte[(512 - e.data.length % 512) % 512]);
    }

    private static String shortName(String n) {
        byte[] b = n.getBytes(StandardCharsets.UTF_8);
        return b.length <= 90 ? n : "long-" + Integer.toHexString(n.hashCode());
    }

    private static byte[] paxRecord(String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int body = 1 + k.length + 1 + value.length + 1;
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() != Integer.toString(body).length()) {
            len++;
        }
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        r.writeBytes((len + " " + key + "=").getBytes(StandardCharsets.UTF_8));
        r.writeBytes(value);
        r.write('\n');
        return r.toByteArray();
    }

    private static byte[] header(byte[] name, byte[] link, char type, int mode, long uid, long gid, long size,
            long mtime, int major, int minor) {
        byte[] h = new byte[512];
        put(h, 0, 100, name);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = (byte) type;
        put(h, 157, 100, link);
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        octal(h, 329, 8, major);
        octal(h, 337, 8, minor);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] cs = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(cs, 0, h, 148, 8);
        return h;
    }

    private static void put(byte[] h, int off, int len, byte[] v) {
        System.arraycopy(v, 0, h, off, Math.min(len, v.length));
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = String.format("%0" + (len - 1) + "o", v);
        put(h, off, len - 1, s.getBytes(StandardCharsets.US_ASCII));
    }
}
