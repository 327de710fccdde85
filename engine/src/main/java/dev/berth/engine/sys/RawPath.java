package dev.berth.engine.sys;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A file name as the kernel sees it: bytes, not characters. Linux names may hold any byte but NUL
 * and {@code /} in a component, and layers carry such names (Latin-1 names of old tarballs, PAX
 * {@code hdrcharset=BINARY}); the JDK's {@link Path} maps names through {@code sun.jnu.encoding} and
 * cannot hold them. Code that must keep names exactly (the layer writer) works on RawPaths and calls
 * the kernel through {@link Sys} and {@code FileTree}'s raw operations. {@link #toString()} shows the
 * name with every byte that is not printable UTF-8 escaped as {@code \xNN}. Immutable, thread-safe.
 */
public final class RawPath {
    /** The charset the JDK turns {@link Path} strings into kernel bytes with. */
    private static final Charset JNU = jnu();
    private static final byte SLASH = '/';

    private final byte[] bytes;

    private RawPath(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The bytes the JDK would hand the kernel for {@code p}. */
    public static RawPath of(Path p) {
        return new RawPath(p.toString().getBytes(JNU));
    }

    /** A path from its bytes (copied). */
    public static RawPath of(byte[] bytes) {
        return new RawPath(bytes.clone());
    }

    /** {@code this/name}; {@code name} is one or more components, never absolute. */
    public RawPath resolve(byte[] name) {
        if (name.length == 0) {
            return this;
        }
        if (bytes.length == 0) {
            return new RawPath(name.clone());
        }
        boolean slash = bytes[bytes.length - 1] == SLASH;
        byte[] b = Arrays.copyOf(bytes, bytes.length + (slash ? 0 : 1) + name.length);
        if (!slash) {
            b[bytes.length] = SLASH;
        }
        System.arraycopy(name, 0, b, b.length - name.length, name.length);
        return new RawPath(b);
    }

    /** {@code this/rel}. */
    public RawPath resolve(RawPath rel) {
        return resolve(rel.bytes);
    }

    /** The components below {@code this}, joined onto it one by one. */
    public RawPath resolveAll(List<byte[]> comps) {
        RawPath p = this;
        for (byte[] c : comps) {
            p = p.resolve(c);
        }
        return p;
    }

    /** The directory containing this path; null for {@code /} or a single relative component. */
    public RawPath parent() {
        int end = bytes.length;
        while (end > 1 && bytes[end - 1] == SLASH) {
            end--;
        }
        int i = end - 1;
        while (i >= 0 && bytes[i] != SLASH) {
            i--;
        }
        if (i < 0 || end <= 1) {
            return null;
        }
        return new RawPath(Arrays.copyOf(bytes, i == 0 ? 1 : i));
    }

    /** The last component. */
    public byte[] fileName() {
        List<byte[]> c = components();
        return c.isEmpty() ? new byte[0] : c.get(c.size() - 1);
    }

    /** The non-empty components, in order. */
    public List<byte[]> components() {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == SLASH) {
                if (i > start) {
                    out.add(Arrays.copyOfRange(bytes, start, i));
                }
                start = i + 1;
            }
        }
        return out;
    }

    /** Whether {@code root} is this path or one of its ancestors, component by component. */
    public boolean startsWith(RawPath root) {
        List<byte[]> mine = components();
        List<byte[]> theirs = root.components();
        if (theirs.size() > mine.size() || isAbsolute() != root.isAbsolute()) {
            return false;
        }
        for (int i = 0; i < theirs.size(); i++) {
            if (!Arrays.equals(mine.get(i), theirs.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** This path relative to {@code root}, which it must start with. */
    public RawPath relativeTo(RawPath root) {
        if (!startsWith(root)) {
            throw new IllegalArgumentException(this + " is not below " + root);
        }
        List<byte[]> c = components();
        return new RawPath(new byte[0]).resolveAll(c.subList(root.components().size(), c.size()));
    }

    public boolean isAbsolute() {
        return bytes.length > 0 && bytes[0] == SLASH;
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes with a terminating NUL, for a system call. */
    byte[] cstr() {
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    /** The same name as a JDK path, when the JVM's name encoding can hold it exactly; else null. */
    public Path toPathOrNull() {
        String s = new String(bytes, JNU);
        return Arrays.equals(s.getBytes(JNU), bytes) ? Path.of(s) : null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawPath r && Arrays.equals(bytes, r.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return show(bytes);
    }

    /**
     * {@code name} for a message: valid UTF-8 shown as text, every other byte and every control
     * character as {@code \xNN}, a backslash as {@code \\}.
     */
    public static String show(byte[] name) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(name);
        CharBuffer out = CharBuffer.allocate(name.length);
        StringBuilder sb = new StringBuilder(name.length);
        while (true) {
            CoderResult r = d.decode(in, out, true);
            out.flip();
            for (int i = 0; i < out.length(); i++) {
                char c = out.charAt(i);
                if (c < 0x20 || c == 0x7f) {
                    sb.append(String.format("\\x%02x", (int) c));
                } else if (c == '\\') {
                    sb.append("\\\\");
                } else {
                    sb.append(c);
                }
            }
            out.clear();
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) {
                    sb.append(String.format("\\x%02x", in.get() & 0xff));
                }
            } else if (r.isUnderflow()) {
                return sb.toString();
            }
        }
    }

    private static Charset jnu() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }
}
