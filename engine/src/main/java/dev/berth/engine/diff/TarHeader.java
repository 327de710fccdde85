package dev.berth.engine.diff;

import dev.berth.engine.sys.RawPath;
import java.util.Map;

/**
 * One tar entry header after PAX and GNU long-name records are folded in. Byte-exact where a
 * layer can carry arbitrary bytes (names, link targets, xattr values). Immutable apart from the xattr map, which the
 * reader does not share.
 *
 * @param name       entry name as stored (not yet cleaned), bytes in whatever encoding the archive used
 * @param linkName   hardlink or symlink target as stored, bytes
 * @param type       the typeflag ('0' regular, '1' hardlink, '2' symlink, '3' char, '4' block,
 *                   '5' directory, '6' fifo)
 * @param mode       permission bits including setuid/setgid/sticky
 * @param atimeNanos access time, or null when the archive has none
 * @param xattrs     {@code SCHILY.xattr.*} records, name → raw value, in archive order
 */
record TarHeader(byte[] name, byte[] linkName, char type, int mode, int uid, int gid, long size,
        long mtimeNanos, Long atimeNanos, int devMajor, int devMinor, Map<String, byte[]> xattrs) {

    static final char REG = '0';
    static final char LINK = '1';
    static final char SYMLINK = '2';
    static final char CHAR = '3';
    static final char BLOCK = '4';
    static final char DIR = '5';
    static final char FIFO = '6';
    static final char CONT = '7';

    /** The entry name for a message (see {@link RawPath#show}). */
    String shown() {
        return RawPath.show(name);
    }

    boolean isDir() {
        return type == DIR;
    }

    boolean isRegular() {
        return type == REG || type == CONT;
    }
}
