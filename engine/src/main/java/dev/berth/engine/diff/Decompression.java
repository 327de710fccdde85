package dev.berth.engine.diff;

import com.github.luben.zstd.ZstdInputStream;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.MediaTypes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Opens a layer blob as its uncompressed tar stream. The compression is sniffed from the first
 * bytes (gzip 1f 8b, zstd 28 b5 2f fd), as containerd does for Docker's ambiguous media type; a
 * media type that declares one compression while the bytes say another is refused. Stateless.
 */
public final class Decompression {
    private static final int BUFFER = 1 << 16;

    private Decompression() {
    }

    /** The uncompressed stream of {@code blob}, whose declared type is {@code mediaType}. */
    public static InputStream open(InputStream blob, String mediaType) throws IOException {
        BufferedInputStream in = new BufferedInputStream(blob, BUFFER);
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        MediaTypes.Compression declared = MediaTypes.compression(mediaType);
        MediaTypes.Compression actual = sniff(magic);
        if (declared != MediaTypes.Compression.UNKNOWN && declared != actual
                && !(declared == MediaTypes.Compression.NONE && actual == MediaTypes.Compression.NONE)) {
            throw BerthException.invalid("layer declared as %s (%s) but its bytes are %s", declared, mediaType, actual);
        }
        return switch (actual) {
            case GZIP -> new GZIPInputStream(in, BUFFER);
            case ZSTD -> new ZstdInputStream(in);
            default -> in;
        };
    }

    static MediaTypes.Compression sniff(byte[] m) {
        if (m.length >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) {
            return MediaTypes.Compression.GZIP;
        }
        if (m.length >= 4 && (m[0] & 0xff) == 0x28 && (m[1] & 0xff) == 0xb5 && (m[2] & 0xff) == 0x2f
                && (m[3] & 0xff) == 0xfd) {
            return MediaTypes.Compression.ZSTD;
        }
        return MediaTypes.Compression.NONE;
    }
}
