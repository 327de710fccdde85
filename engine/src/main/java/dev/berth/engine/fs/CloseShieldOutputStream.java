package dev.berth.engine.fs;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes writes through and turns {@code close} into {@code flush}, so that a wrapper (a tar or
 * compressor stream) can be closed to finish its format without closing the caller's stream under
 * it. Bulk writes go straight through (FilterOutputStream would write byte by byte). Not
 * thread-safe.
 */
public final class CloseShieldOutputStream extends FilterOutputStream {
    public CloseShieldOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
