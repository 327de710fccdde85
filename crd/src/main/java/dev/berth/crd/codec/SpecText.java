package dev.berth.crd.codec;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The bytes of a manifest (a file or an API request body) turned into text before any parsing:
 * bounded by size, so a huge document is refused before it can fill the heap, and strictly UTF-8,
 * with the line and byte offset of the first invalid byte. Stateless.
 */
public final class SpecText {
    /**
     * Bytes one manifest file or request body may hold (Kubernetes' API server takes 3 MiB per
     * request); larger ones are refused before they are parsed.
     */
    public static final int MAX_BYTES = 3 * 1024 * 1024;

    private SpecText() {
    }

    /** The error for a manifest of {@code size} bytes, over {@link #MAX_BYTES}. */
    public static SpecException tooLarge(String source, long size) {
        return new SpecException(List.of(new SpecError(source, 0, "", size + " bytes is more than the "
                + MAX_BYTES + " bytes (3 MiB) a manifest may hold; split it into several files or requests")));
    }

    /** The text of {@code bytes}; a {@link SpecException} naming the first problem when too large or not UTF-8. */
    public static String decode(String source, byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw tooLarge(source, bytes.length);
        }
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new SpecException(List.of(new SpecError(source, line, "", String.format(
                    "not UTF-8: invalid byte 0x%02x at byte offset %d; save the file as UTF-8 (YAML requires it)",
                    bytes[at] & 0xff, at))));
        }
        d.flush(out);
        out.flip();
        String text = out.toString();
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }
}
