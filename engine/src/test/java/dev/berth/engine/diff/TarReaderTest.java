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
        assertEquals(longName, f.shown());
        assertEquals(3_000_000, f.uid());
        assertEquals(3_000_001, f.gid());
        assertEquals(1_650_000_000_000_000_001L, f.mtimeNanos());
        assertArrayEquals(new byte[] {(byte) 0xff, 0, '\n', '='}, f.xattrs().get("user.bin"));
        assertEquals("t".repeat(150), new String(hs.get(1).linkName(), StandardCharsets.UTF_8));
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
        assertEquals("g/".repeat(80) + "f", h.shown());
        assertEquals(5_000_000, h.uid());
        assertEquals(04755, h.mode());
        assertEquals(1_000_000_000L * 1_000_000_000L, h.mtimeNanos());
        assertEquals("abc", new String(r.content().readAllBytes(), StandardCharsets.US_ASCII));
        TarHeader link = r.next();
        assertEquals("h/".repeat(80) + "target", new String(link.linkName(), StandardCharsets.UTF_8));
        assertNull(r.next());
        assertTrue(r.ended());
    }

    @Test
    void unreadDataIsSkipped() throws Exception {
        LayerTarBuilder b = new LayerTarBuilder();
        b.file("a", new byte[1000]);
        b.file("b", "second");
        TarReader r = new TarReader(new ByteArrayInputStream(b.tar()));
        assertEquals("a", r.next().shown());
        TarHeader second = r.next();
        assertEquals("b", second.shown());
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

    private static List<String> clean(String name) {
        return ScopedPaths.clean(name.getBytes(StandardCharsets.UTF_8)).stream()
                .map(c -> new String(c, StandardCharsets.UTF_8)).toList();
    }

    @Test
    void namesAreCleanedInsideTheRootAndDotDotStopsAtTheRoot() {
        assertEquals(List.of("a", "c"), clean("./a/b/../c/"));
        assertEquals(List.of(), clean("./"));
        // as containerd's fs.RootPath: '..' at the root stays there
        assertEquals(List.of("b"), clean("a/../../b"));
        assertEquals(List.of("etc", "passwd"), clean("../etc/passwd"));
        assertEquals(List.of(), clean("../.."));
        // as containerd: an absolute name means the same name inside the root
        assertEquals(List.of("etc", "passwd"), clean("/etc/passwd"));
        assertEquals(List.of("etc", "passwd"), clean("//etc/./passwd"));
    }

    @Test
    void namesStayBytesWhateverTheirEncoding() throws Exception {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9};
        byte[] binary = {'p', (byte) 0xff, (byte) 0xfe, 'x'};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // a ustar name in Latin-1, then a PAX path with hdrcharset=BINARY
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(out, "ISO-8859-1")) {
            TarArchiveEntry e = new TarArchiveEntry(new String(latin1, StandardCharsets.ISO_8859_1));
            t.putArchiveEntry(e);
            t.closeArchiveEntry();
        }
        List<TarHeader> hs = read(out.toByteArray());
        assertArrayEquals(latin1, hs.get(0).name());
        assertEquals("caf\\xe9", hs.get(0).shown());
        LayerTarBuilder b = new LayerTarBuilder();
        b.file("placeholder", "x").pax("hdrcharset", "BINARY".getBytes(StandardCharsets.US_ASCII)).pax("path", binary);
        b.symlink("l", "t").rawLink(latin1);
        List<TarHeader> pax = read(b.tar());
        assertArrayEquals(binary, pax.get(0).name());
        assertEquals("p\\xff\\xfex", pax.get(0).shown());
        assertArrayEquals(latin1, pax.get(1).linkName());
        assertEquals("a\\x01\\\\b\u00e9", dev.berth.engine.sys.RawPath.show("a\u0001\\b\u00e9".getBytes(StandardCharsets.UTF_8)));
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
