package dev.berth.engine.diff;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes and counts the uncompressed tar as it is read, and stops a layer that expands beyond a
 * limit (a decompression bomb) before it fills the disk. Not thread-safe.
 */
final class DigestingStream extends FilterInputStream {
    private final MessageDigest sha = Digest.newSha256();
    private final long limit;
    private final String layer;
    private long count;

    DigestingStream(InputStream in, long limit, String layer) {
        super(in);
        this.limit = limit;
        this.layer = layer;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int r = read(one, 0, 1);
        return r < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int r = super.read(b, off, len);
        if (r > 0) {
            count += r;
            if (count > limit) {
                throw BerthException.invalid("layer %s expands beyond %d bytes uncompressed (a decompression bomb, or "
                        + "a layer bigger than max_layer_unpacked_size): raise [plugins.\"dev.berth.v1\"] "
                        + "max_layer_unpacked_size if the image is legitimate", layer, limit);
            }
            sha.update(b, off, r);
        }
        return r;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    /** Reads whatever follows the tar's end marker, so the digest covers the whole stream. */
    void drain() throws IOException {
        byte[] buf = new byte[1 << 16];
        while (read(buf, 0, buf.length) >= 0) {
            // hashed by read
        }
    }

    Digest digest() {
        return Digest.of("sha256", sha.digest());
    }

    long count() {
        return count;
    }
}
