package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.RawPath;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads tar archives in the ustar, GNU and PAX formats, as image layers use them: GNU long names
 * ('L', 'K'), PAX records (path, linkpath, size, uid, gid, mtime, atime, {@code SCHILY.xattr.*}
 * with raw byte values), base-256 numbers, the ustar prefix. Names and link targets stay bytes,
 * whatever their encoding (a PAX {@code hdrcharset=BINARY} header changes nothing then), as Go's
 * reader keeps them for containerd. PAX global headers are ignored; sparse files are refused. Not
 * thread-safe.
 */
final class TarReader {
    private static final int BLOCK = 512;
    private static final int MAX_META = 1 << 20;
    private static final String XATTR = "SCHILY.xattr.";
    private static final byte[] USTAR = "ustar\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GNU = "ustar  \0".getBytes(StandardCharsets.US_ASCII);

    private final InputStream in;
    private final byte[] block = new byte[BLOCK];
    private final byte[] skipBuffer = new byte[8192];
    private long remaining;
    private long padding;
    private boolean ended;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** The next header, or null at the end of the archive. */
    TarHeader next() throws IOException {
        skipRest();
        byte[] longName = null;
        byte[] longLink = null;
        Map<String, byte[]> pax = Map.of();
        while (true) {
            if (!readBlock()) {
                ended = true;
                return null;
            }
            if (isZero(block)) {
                ended = true;
                return null;
            }
            verifyChecksum();
            char type = (char) block[156];
            long size = number(124, 12);
            if (size < 0) {
                throw bad("negative entry size");
            }
            switch (type) {
                case 'x' -> {
                    if (pax.isEmpty()) {
                        pax = new LinkedHashMap<>();
                    }
                    parsePax(readMeta(size), pax);
                    continue;
                }
                case 'g' -> {
                    readMeta(size);
                    continue;
                }
                case 'L' -> {
                    longName = trimNul(readMeta(size));
                    continue;
                }
                case 'K' -> {
                    longLink = trimNul(readMeta(size));
                    continue;
                }
                default -> {
                }
            }
            return header(type, size, longName, longLink, pax);
        }
    }

    private TarHeader header(char type, long size, byte[] longName, byte[] longLink, Map<String, byte[]> pax)
            throws IOException {
        boolean ustar = Arrays.equals(block, 257, 263, USTAR, 0, USTAR.length);
        boolean gnu = Arrays.equals(block, 257, 265, GNU, 0, GNU.length);
        byte[] name = field(0, 100);
        if (ustar) {
            byte[] prefix = field(345, 155);
            if (prefix.length > 0) {
                byte[] joined = Arrays.copyOf(prefix, prefix.length + 1 + name.length);
                joined[prefix.length] = '/';
                System.arraycopy(name, 0, joined, prefix.length + 1, name.length);
                name = joined;
            }
        }
        if (longName != null) {
            name = longName;
        }
        byte[] link = longLink != null ? longLink : field(157, 100);
        int mode = (int) (number(100, 8) & 07777);
        long uid = number(108, 8);
        long gid = number(116, 8);
        long mtime = number(136, 12) * 1_000_000_000L;
        Long atime = null;
        if (gnu && block[345] != 0) {
            atime = number(345, 12) * 1_000_000_000L;
        }
        int major = (int) number(329, 8);
        int minor = (int) number(337, 8);
        Map<String, byte[]> xattrs = pax.isEmpty() ? Map.of() : new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : pax.entrySet()) {
            String k = e.getKey();
            String v = new String(e.getValue(), StandardCharsets.UTF_8);
            switch (k) {
                case "path" -> name = e.getValue();
                case "linkpath" -> link = e.getValue();
                case "size" -> size = parseLong(k, v);
                case "uid" -> uid = parseLong(k, v);
                case "gid" -> gid = parseLong(k, v);
                case "mtime" -> mtime = paxTime(v);
                case "atime" -> atime = paxTime(v);
                default -> {
                    if (k.startsWith(XATTR)) {
                        xattrs.put(k.substring(XATTR.length()), e.getValue());
                    } else if (k.startsWith("GNU.sparse.")) {
                        throw bad("sparse files (" + k + ") are not supported in image layers");
                    }
                }
            }
        }
        String n = RawPath.show(name);
        if (type == '\0') {
            type = name.length > 0 && name[name.length - 1] == '/' ? TarHeader.DIR : TarHeader.REG;
        }
        if (type == 'S') {
            throw bad("GNU sparse entry " + n + " is not supported in image layers");
        }
        if (uid < 0 || uid > 0xffffffffL || gid < 0 || gid > 0xffffffffL) {
            throw bad("entry " + n + " has uid/gid out of range: " + uid + "/" + gid);
        }
        // as Go's reader (and so containerd) does: these types carry no data whatever size says
        boolean headerOnly = "123456".indexOf(type) >= 0;
        remaining = headerOnly ? 0 : size;
        padding = headerOnly ? 0 : (BLOCK - size % BLOCK) % BLOCK;
        return new TarHeader(name, link, type, mode, (int) uid, (int) gid, size, mtime,
                atime, major, minor, xattrs);
    }

    /** The data of the current entry; valid until the next {@link #next()}. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int r = read(one, 0, 1);
                return r < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int r = in.read(b, off, (int) Math.min(len, remaining));
                if (r < 0) {
                    throw new EOFException("tar archive ends inside an entry's data");
                }
                remaining -= r;
                return r;
            }
        };
    }

    /** Whether the end-of-archive marker was reached. */
    boolean ended() {
        return ended;
    }

    private void skipRest() throws IOException {
        long n = remaining + padding;
        remaining = 0;
        padding = 0;
        while (n > 0) {
            int r = in.read(skipBuffer, 0, (int) Math.min(skipBuffer.length, n));
            if (r < 0) {
                throw new EOFException("tar archive ends inside an entry's data");
            }
            n -= r;
        }
    }

    private byte[] readMeta(long size) throws IOException {
        if (size > MAX_META) {
            throw bad("extended header of " + size + " bytes exceeds " + MAX_META);
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException("tar archive ends inside an extended header");
        }
        in.readNBytes((int) ((BLOCK - size % BLOCK) % BLOCK));
        return data;
    }

    private boolean readBlock() throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw new EOFException("tar archive ends inside a header");
        }
        return true;
    }

    private void verifyChecksum() {
        long want;
        try {
            want = number(148, 8);
        } catch (BerthException e) {
            throw bad("header checksum field is not a number (not a tar archive, or corrupted)");
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = i >= 148 && i < 156 ? ' ' : block[i];
            unsigned += b & 0xff;
            signed += b;
        }
        if (want != unsigned && want != signed) {
            throw bad("header checksum mismatch (not a tar archive, or corrupted)");
        }
    }

    private static void parsePax(byte[] data, Map<String, byte[]> out) {
        int i = 0;
        while (i < data.length) {
            int sp = i;
            while (sp < data.length && data[sp] != ' ') {
                sp++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw bad("malformed PAX record length");
            }
            int end = i + len;
            if (len <= 0 || end > data.length || data[end - 1] != '\n') {
                throw bad("malformed PAX record");
            }
            int eq = sp + 1;
            while (eq < end && data[eq] != '=') {
                eq++;
            }
            if (eq >= end) {
                throw bad("PAX record without '='");
            }
            String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
            out.put(key, Arrays.copyOfRange(data, eq + 1, end - 1));
            i = end;
        }
    }

    private static long paxTime(String v) {
        try {
            boolean neg = v.startsWith("-");
            String s = neg ? v.substring(1) : v;
            int dot = s.indexOf('.');
            long sec = Long.parseLong(dot < 0 ? s : s.substring(0, dot));
            long nanos = 0;
            if (dot >= 0) {
                String frac = (s.substring(dot + 1) + "000000000").substring(0, 9);
                nanos = Long.parseLong(frac);
            }
            long t = sec * 1_000_000_000L + nanos;
            return neg ? -t : t;
        } catch (NumberFormatException | ArithmeticException e) {
            throw bad("malformed PAX time " + v);
        }
    }

    private static long parseLong(String key, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw bad("malformed PAX " + key + " " + v);
        }
    }

    private long number(int off, int len) {
        if ((block[off] & 0x80) != 0) {
            long v = block[off] & 0x7f;
            boolean negative = (block[off] & 0x40) != 0;
            if (negative) {
                v |= ~0x7fL;
            }
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (block[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        boolean any = false;
        for (int i = off; i < off + len; i++) {
            byte b = block[i];
            if (b == 0 || (b == ' ' && any)) {
                break;
            }
            if (b == ' ') {
                continue;
            }
            if (b < '0' || b > '7') {
                throw bad("malformed octal field at offset " + off);
            }
            v = v * 8 + (b - '0');
            any = true;
        }
        return v;
    }

    private byte[] field(int off, int len) {
        int end = off;
        while (end < off + len && block[end] != 0) {
            end++;
        }
        return Arrays.copyOfRange(block, off, end);
    }

    private static byte[] trimNul(byte[] b) {
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return Arrays.copyOf(b, end);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    static BerthException bad(String msg) {
        return BerthException.invalid("malformed layer tar: %s", msg);
    }
}
