package dev.berth.engine.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class NativeDigestTest {
    private static MessageDigest jdk(String algorithm) throws Exception {
        return MessageDigest.getInstance(algorithm, "SUN");
    }

    private static MessageDigest fast(String algorithm) {
        return algorithm.equals("SHA-512") ? NativeDigest.sha512() : NativeDigest.sha256();
    }

    @Test
    void libcryptoIsUsedOnThisMachine() {
        assertTrue(NativeDigest.available(), "libcrypto.so.3 (Debian's libssl3) should load");
        assertInstanceOf(NativeDigest.class, NativeDigest.sha256());
        assertInstanceOf(NativeDigest.class, NativeDigest.sha512());
        assertEquals(32, NativeDigest.sha256().getDigestLength());
        assertEquals(64, NativeDigest.sha512().getDigestLength());
    }

    @Test
    void publishedTestVectors() {
        HexFormat hex = HexFormat.of();
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                hex.formatHex(NativeDigest.sha256().digest()));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                hex.formatHex(NativeDigest.sha256().digest("abc".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
                hex.formatHex(NativeDigest.sha512().digest("abc".getBytes(StandardCharsets.US_ASCII))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SHA-256", "SHA-512"})
    void anySplitOfTheInputGivesTheJdksDigest(String algorithm) throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(7).nextBytes(data);
        for (int chunk : new int[] {1, 63, 512, 4096, 65539, data.length}) {
            MessageDigest n = fast(algorithm);
            MessageDigest j = jdk(algorithm);
            // an offset into a larger array, as streams pass their buffers
            for (int off = 0; off < data.length; off += chunk) {
                int len = Math.min(chunk, data.length - off);
                n.update(data, off, len);
                j.update(data, off, len);
            }
            assertArrayEquals(j.digest(), n.digest(), algorithm + " in chunks of " + chunk);
        }
    }

    @Test
    void byteBuffersFromTheirPositionToTheirLimit() throws Exception {
        byte[] data = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);
        byte[] want = jdk("SHA-256").digest(java.util.Arrays.copyOfRange(data, 5, 30));

        ByteBuffer heap = ByteBuffer.wrap(data);
        heap.position(5).limit(30);
        MessageDigest n = NativeDigest.sha256();
        n.update(heap);
        assertArrayEquals(want, n.digest(), "heap buffer");
        assertEquals(30, heap.position());

        ByteBuffer slice = ByteBuffer.wrap(data, 2, 34).slice(); // a non-zero array offset
        slice.position(3).limit(28);
        n.update(slice);
        assertArrayEquals(want, n.digest(), "slice with an array offset");

        ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data);
        direct.position(5).limit(30);
        n.update(direct);
        assertArrayEquals(want, n.digest(), "direct buffer");
        assertEquals(30, direct.position());

        ByteBuffer readOnly = ByteBuffer.wrap(data).asReadOnlyBuffer();
        readOnly.position(5).limit(30);
        n.update(readOnly);
        assertArrayEquals(want, n.digest(), "read-only buffer");
    }

    @Test
    void aCloneGoesOnOnItsOwnAndDigestResets() throws Exception {
        MessageDigest n = NativeDigest.sha256();
        MessageDigest j = jdk("SHA-256");
        n.update("common ".getBytes(StandardCharsets.US_ASCII));
        j.update("common ".getBytes(StandardCharsets.US_ASCII));
        MessageDigest nc = (MessageDigest) n.clone();
        MessageDigest jc = (MessageDigest) j.clone();
        n.update((byte) 'a');
        j.update((byte) 'a');
        nc.update("tail".getBytes(StandardCharsets.US_ASCII));
        jc.update("tail".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(j.digest(), n.digest());
        assertArrayEquals(jc.digest(), nc.digest());
        // digest() left both fresh, and reset() empties a started one
        assertArrayEquals(jdk("SHA-256").digest(), n.digest());
        nc.update((byte) 1);
        nc.reset();
        assertArrayEquals(jdk("SHA-256").digest("x".getBytes(StandardCharsets.US_ASCII)),
                nc.digest("x".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aMissingLibraryFallsBackToTheJdk() throws Exception {
        var none = NativeDigest.load("libberth-no-such-crypto.so.9");
        assertFalse(none.isPresent());
        MessageDigest d = NativeDigest.create("SHA-256", none);
        assertFalse(d instanceof NativeDigest);
        assertArrayEquals(jdk("SHA-256").digest(new byte[] {1, 2}), d.digest(new byte[] {1, 2}));
    }
}
