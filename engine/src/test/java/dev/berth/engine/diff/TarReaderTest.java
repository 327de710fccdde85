package dev.berth.engine.diff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.testing.LayerTarBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;

class TarReaderTest {
    private static List<TarHeader> read(byte[] tar) throws Exception {
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        List<TarHeader> out = new ArrayList<>();
        TarHeader h;
        while ((h = r.next()) != null) {
            out.add(h);
        }
        return out;
    }

    @Test
    void paxRecordsCarryLongNamesBigIdsNanosAndRawXattrs() throws Exception {
        LayerTarBuilder b = new LayerTarBuilder();
        String longName = "d/".repeat(70) + "file";
        b.file(longName, "x").owner(3_000_000, 3_000_001).mtimeNanos(1_650_000_000_000_000_001L)
                .xattr("user.bin", new byte[] {(byte) 0xff, 0, '\n', '='});
        b.symlink("s", "t".repeat(150));
        List<TarHeader> hs = read(b.tar());
        assertEquals(2, hs.size());
        TarHeader f = hs.get(0);
        assertEquals(longName, f.name());
        assertEquals(3_000_000, f.uid());
        assertEquals(3_000_001, f.gid());
        assertEquals(1_650_000_000_000_000_001L, f.mtimeNanos());
        assertArrayEquals(new byte[] {(byte) 0xff, 0, '\n', '='}, f.xattrs().get("user.bin"));
        assertEquals("t".repeat(150), hs.get(1).linkName());
        assertEquals(TarHeader.SYMLINK, hs.get(1).type());
    }

    @Test
    void gnuLongNamesAndBase256NumbersAsCommonsCompressWritesThem() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(bytes)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
            TarArchiveEntry e = new TarArchiveEntry("g/".repeat(80) + "f");
            e.setSize(3);
            e.setUserId(5_000_000);
            e.setModTime(new Date(1_000_000_000_000L));
            e.setMode(04755);
            t.putArchiveEntry(e);
            t.write("abc".getBytes(StandardCharsets.US_ASCII));
            t.closeArchiveEntry();
            TarArchiveEntry l = new TarArchiveEntry("link", TarConstants.LF_LINK);
            l.setLinkName("h/".repeat(80) + "target");
            t.putArchiveEntry(l);
            t.closeArchiveEntry();
        }
        TarReader r = new TarReader(new ByteArrayInputStream(bytes.toByteArray()));
        TarHeader h = r.next();
        assertEquals("g/".repeat(80) + "f", h.name());
        assertEquals(5_000_000, h.uid());
        assertEquals(04755, h.mode());
        assertEquals(1_000_000_000L * 1_000_000_000L, h.mtimeNanos());
        assertEquals("abc", new String(r.content().readAllBytes(), StandardCharsets.US_ASCII));
        TarHeader link = r.next();
        assertEquals("h/".repeat(80) + "target", link.linkName());
        assertNull(r.next());
        assertTrue(r.ended());
    }

    @Test
    void unreadDataIsSkipped() throws Exception {
        LayerTarBuilder b = new LayerTarBuilder();
        b.file("a", new byte[1000]);
        b.file("b", "second");
        TarReader r = new TarReader(new ByteArrayInputStream(b.tar()));
        assertEquals("a", r.next().name());
        TarHeader second = r.next();
        assertEquals("b", second.name());
        assertEquals("second", new String(r.content().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void malformedInputIsInvalidArgument() {
        byte[] junk = new byte[1024];
        junk[0] = 'x';
        BerthException e = assertThrows(BerthException.class, () -> read(junk));
        assertTrue(e.getMessage().contains("malformed layer tar"), e.getMessage());
        byte[] tar = new LayerTarBuilder().tar();
        assertEquals(List.of(), assertDoesNotThrowRead(tar));
    }

    private static List<TarHeader> assertDoesNotThrowRead(byte[] tar) {
        try {
            return read(tar);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void namesAreCleanedAndEscapesRefused() {
        assertEquals(List.of("a", "c"), ScopedPaths.clean("./a/b/../c/", "x"));
        assertEquals(List.of(), ScopedPaths.clean("./", "x"));
        assertThrows(BerthException.class, () -> ScopedPaths.clean("a/../../b", "x"));
        assertThrows(BerthException.class, () -> ScopedPaths.clean("/etc/passwd", "x"));
    }

    @Test
    void compressionIsSniffed() {
        assertEquals(dev.berth.engine.oci.MediaTypes.Compression.GZIP,
                Decompression.sniff(new byte[] {0x1f, (byte) 0x8b, 8, 0}));
        assertEquals(dev.berth.engine.oci.MediaTypes.Compression.ZSTD,
                Decompression.sniff(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}));
        assertEquals(dev.berth.engine.oci.MediaTypes.Compression.NONE, Decompression.sniff(new byte[] {'a', 'b'}));
    }
}
