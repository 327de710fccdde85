package dev.berth.engine.diff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

class ReadAheadTest {
    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** A source that returns its data and then fails with {@code failure}, counting what was read. */
    private static final class Failing extends InputStream {
        private final ByteArrayInputStream data;
        private final Exception failure;

        Failing(byte[] data, Exception failure) {
            this.data = new ByteArrayInputStream(data);
            this.failure = failure;
        }

        @Override
        public int read() throws IOException {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r = data.read(b, off, len);
            if (r < 0) {
                if (failure instanceof IOException io) {
                    throw io;
                }
                throw (RuntimeException) failure;
            }
            return r;
        }
    }

    @Test
    void passesEveryByteThroughInOrderAcrossChunks() throws IOException {
        byte[] data = random(3 * (1 << 17) + 12345);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(data))) {
            byte[] small = new byte[511];
            int r;
            while ((r = in.read(small, 0, small.length)) >= 0) {
                out.write(small, 0, r);
            }
            assertEquals(-1, in.read());
        }
        assertArrayEquals(data, out.toByteArray());
    }

    @Test
    void skipAndDrainConsumeTheSourceToItsEnd() throws IOException {
        byte[] data = random(1 << 18);
        ByteArrayInputStream plain = new ByteArrayInputStream(data);
        try (ReadAhead in = new ReadAhead(plain)) {
            assertEquals(1000, in.skip(1000));
            assertEquals(data[1000] & 0xff, in.read());
            in.drain();
            assertEquals(-1, in.read());
        }
        assertEquals(0, plain.available());
    }

    @Test
    void aSourceFailureReachesTheReaderAfterTheBytesBeforeIt() throws IOException {
        byte[] data = random(200_000);
        ZipException bad = new ZipException("invalid stored block lengths");
        try (ReadAhead in = new ReadAhead(new Failing(data, bad))) {
            byte[] got = in.readNBytes(data.length);
            assertArrayEquals(data, got);
            IOException e = assertThrows(IOException.class, () -> in.read(new byte[10], 0, 10));
            assertSame(bad, e);
        }
    }

    @Test
    void aRuntimeFailureKeepsItsType() {
        IllegalStateException bomb = new IllegalStateException("expands beyond the limit");
        try (ReadAhead in = new ReadAhead(new Failing(random(10), bomb))) {
            RuntimeException e = assertThrows(RuntimeException.class, in::drain);
            assertSame(bomb, e);
        }
    }

    @Test
    void closeStopsTheThreadWhileTheReaderIsFarBehind() throws Exception {
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 7;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 7);
                return len;
            }
        };
        ReadAhead in = new ReadAhead(endless);
        assertEquals(7, in.read());
        Thread.sleep(50);
        in.close();
        Thread t = threadNamedLike("berth-layer-read-");
        assertTrue(t == null || !t.isAlive(), "reader thread still running after close");
    }

    @Test
    void emptySourceIsAtEndAtOnce() throws IOException {
        try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(new byte[0]))) {
            assertEquals(-1, in.read(new byte[8], 0, 8));
            assertEquals(0, in.read(new byte[8], 0, 0));
            assertFalse(in.available() > 0);
        }
    }

    private static Thread threadNamedLike(String prefix) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix) && t.isAlive()) {
                return t;
            }
        }
        return null;
    }
}
