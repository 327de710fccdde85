package dev.berth.engine.images.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.content.local.LocalContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.MetadataImageStore;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and hostile archives: each import fails with a clear error, writes nothing outside the
 * store, and leaves no image record (so nothing points at missing content).
 */
class HostileArchiveIT {
    @TempDir
    Path tmp;
    private MetadataStore md;
    private LocalContentStore content;
    private MetadataImageStore images;
    private final BuiltImage img = OciImageBuilder.create().layer(layer()).build();

    private static LayerBuilder layer() {
        LayerBuilder l = LayerBuilder.create();
        l.file("hello", "world");
        return l;
    }

    @BeforeEach
    void open() {
        md = MetadataStore.open(tmp.resolve("root/meta.db"));
        content = LocalContentStore.open(tmp.resolve("root/content"), md, Clock.systemUTC());
        images = new MetadataImageStore(md, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        md.close();
    }

    private Path tar(Consumer<TarArchiveOutputStream> body) throws IOException {
        Path p = Files.createTempFile(tmp, "hostile", ".tar");
        try (OutputStream o = Files.newOutputStream(p); TarArchiveOutputStream t = new TarArchiveOutputStream(o)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            body.accept(t);
            t.finish();
        }
        return p;
    }

    private static void put(TarArchiveOutputStream t, String name, byte[] data) {
        try {
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setSize(data.length);
            t.putArchiveEntry(e);
            t.write(data);
            t.closeArchiveEntry();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void link(TarArchiveOutputStream t, String name, byte type, String target) {
        try {
            TarArchiveEntry e = new TarArchiveEntry(name, type, true);
            e.setLinkName(target);
            t.putArchiveEntry(e);
            t.closeArchiveEntry();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A valid layout with {@code edit} applied to its files (path → bytes) before writing. */
    private Path layout(Consumer<Map<String, byte[]>> edit) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>(img.layoutFiles("docker.io/library/x:1"));
        edit.accept(files);
        Path p = Files.createTempFile(tmp, "layout", ".tar");
        BuiltImage.writeTar(p, files);
        return p;
    }

    private BerthException importFails(Path archive, ErrorCategory expected, String messagePart) {
        BerthException e = assertThrows(BerthException.class,
                () -> new ImageImporter(content, images).importFrom(archive, ImportOptions.defaults()));
        assertEquals(expected, e.category(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        assertTrue(images.list().isEmpty(), "no image record after a failed import");
        assertTrue(content.statuses().isEmpty(), "no ingest left behind: " + content.statuses());
        return e;
    }

    @Test
    void validLayoutImports() throws IOException {
        assertEquals("docker.io/library/x:1",
                new ImageImporter(content, images).importFrom(layout(f -> { }), ImportOptions.defaults()).get(0).name());
    }

    @Test
    void parentTraversalIsRefused() throws IOException {
        importFails(tar(t -> put(t, "../../escape", "x".getBytes(StandardCharsets.UTF_8))),
                ErrorCategory.INVALID_ARGUMENT, "climbs out");
        assertFalse(Files.exists(tmp.getParent().resolve("escape")));
    }

    @Test
    void absolutePathIsRefused() throws IOException {
        importFails(tar(t -> put(t, "/tmp/berth-abs-" + ProcessHandle.current().pid(), new byte[1])),
                ErrorCategory.INVALID_ARGUMENT, "absolute");
        assertFalse(Files.exists(Path.of("/tmp/berth-abs-" + ProcessHandle.current().pid())));
    }

    @Test
    void escapingSymlinkIsRefused() throws IOException {
        importFails(tar(t -> link(t, "blobs/evil", TarConstants.LF_SYMLINK, "../../../etc/passwd")),
                ErrorCategory.INVALID_ARGUMENT, "outside the archive");
        importFails(tar(t -> link(t, "manifest.json", TarConstants.LF_SYMLINK, "/etc/passwd")),
                ErrorCategory.INVALID_ARGUMENT, "absolute");
    }

    @Test
    void layoutDirectoryWithSymlinkOutIsRefusedNotFollowed() throws IOException {
        Path dir = tmp.resolve("layoutdir");
        img.writeLayout(dir, "docker.io/library/x:1");
        Path blob = dir.resolve("blobs/sha256/" + img.configDescriptor().digest().hex());
        Files.delete(blob);
        Files.createSymbolicLink(blob, Path.of("/etc/passwd"));
        importFails(dir, ErrorCategory.INVALID_ARGUMENT, "absolute");
        assertFalse(content.exists(Digest.sha256(Files.readAllBytes(Path.of("/etc/passwd")))));
    }

    @Test
    void gzipAndZstdCompressedArchivesImport() throws IOException {
        Path plain = layout(f -> { });
        for (String kind : new String[] {"gzip", "zstd"}) {
            Path z = tmp.resolve("layout.tar." + kind);
            try (OutputStream o = Files.newOutputStream(z);
                    OutputStream c = kind.equals("gzip") ? new java.util.zip.GZIPOutputStream(o)
                            : new com.github.luben.zstd.ZstdOutputStream(o)) {
                Files.copy(plain, c);
            }
            assertEquals(img.target(), new ImageImporter(content, images).importFrom(z, ImportOptions.defaults())
                    .get(0).target());
        }
    }

    @Test
    void hardlinkOutAndSymlinkLoopsAreRefused() throws IOException {
        importFails(tar(t -> link(t, "x", TarConstants.LF_LINK, "../../etc/shadow")), ErrorCategory.INVALID_ARGUMENT,
                "climbs out");
        byte[] config = img.blobs().get(img.configDescriptor().digest());
        String manifest = "[{\"Config\":\"" + img.configDescriptor().digest().hex() + ".json\",\"RepoTags\":[\"x:1\"],"
                + "\"Layers\":[\"a/layer.tar\"]}]";
        importFails(tar(t -> {
            put(t, img.configDescriptor().digest().hex() + ".json", config);
            link(t, "a/layer.tar", TarConstants.LF_SYMLINK, "../b/layer.tar");
            link(t, "b/layer.tar", TarConstants.LF_SYMLINK, "../a/layer.tar");
            put(t, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        }), ErrorCategory.INVALID_ARGUMENT, "loops");
    }

    @Test
    void deviceEntryIsRefused() throws IOException {
        importFails(tar(t -> link(t, "dev", TarConstants.LF_CHR, "")), ErrorCategory.INVALID_ARGUMENT, "special file");
    }

    @Test
    void blobNotMatchingItsNameIsRejectedAndNotCommitted() throws IOException {
        Digest layer = img.layers().get(0).digest();
        Path p = layout(f -> f.put("blobs/sha256/" + layer.hex(), "tampered".getBytes(StandardCharsets.UTF_8)));
        importFails(p, ErrorCategory.FAILED_PRECONDITION, layer.toString());
        assertFalse(content.exists(layer));
        assertFalse(content.exists(Digest.sha256("tampered")));
    }

    @Test
    void blobWithBadDigestNameIsRefused() throws IOException {
        importFails(tar(t -> put(t, "blobs/sha256/nothex", new byte[3])), ErrorCategory.INVALID_ARGUMENT, "valid digest");
    }

    @Test
    void missingLayerLeavesNoRecord() throws IOException {
        Digest layer = img.layers().get(0).digest();
        importFails(layout(f -> f.remove("blobs/sha256/" + layer.hex())), ErrorCategory.INVALID_ARGUMENT,
                "not in the archive");
    }

    @Test
    void missingManifestLeavesNoRecord() throws IOException {
        importFails(layout(f -> f.remove("blobs/sha256/" + img.target().digest().hex())), ErrorCategory.INVALID_ARGUMENT,
                "not in the archive");
    }

    @Test
    void malformedIndexJson() throws IOException {
        importFails(layout(f -> f.put("index.json", "{\"manifests\": [".getBytes(StandardCharsets.UTF_8))),
                ErrorCategory.INVALID_ARGUMENT, "index.json");
        importFails(layout(f -> f.put("oci-layout", "{\"imageLayoutVersion\":\"9.0\"}".getBytes(StandardCharsets.UTF_8))),
                ErrorCategory.INVALID_ARGUMENT, "imageLayoutVersion");
    }

    @Test
    void manifestThatIsReallyAnIndexIsRefused() throws IOException {
        byte[] bogus = "{\"schemaVersion\":2,\"manifests\":[]}".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.sha256(bogus);
        String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"digest\":\"" + d + "\",\"size\":" + bogus.length
                + ",\"annotations\":{\"io.containerd.image.name\":\"x:1\"}}]}";
        importFails(layout(f -> {
            f.put("blobs/sha256/" + d.hex(), bogus);
            f.put("index.json", index.getBytes(StandardCharsets.UTF_8));
        }), ErrorCategory.INVALID_ARGUMENT, "index");
    }

    @Test
    void dockerManifestNamingAMissingLayer() throws IOException {
        byte[] config = img.blobs().get(img.configDescriptor().digest());
        String manifest = "[{\"Config\":\"" + img.configDescriptor().digest().hex() + ".json\",\"RepoTags\":[\"x:1\"],"
                + "\"Layers\":[\"abc/layer.tar\"]}]";
        importFails(tar(t -> {
            put(t, img.configDescriptor().digest().hex() + ".json", config);
            put(t, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        }), ErrorCategory.INVALID_ARGUMENT, "abc/layer.tar");
    }

    @Test
    void notAnArchiveAtAll() throws IOException {
        Path junk = tmp.resolve("junk");
        Files.write(junk, "this is not a tar file, just some text that goes on".repeat(20).getBytes(StandardCharsets.UTF_8));
        importFails(junk, ErrorCategory.INVALID_ARGUMENT, "junk");
        importFails(tar(t -> put(t, "README", new byte[5])), ErrorCategory.INVALID_ARGUMENT, "no index.json");
        BerthException e = assertThrows(BerthException.class, () -> new ImageImporter(content, images)
                .importFrom(tmp.resolve("absent.tar"), ImportOptions.defaults()));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
    }

    @Test
    void truncatedTar() throws IOException {
        Path good = layout(f -> { });
        byte[] all = Files.readAllBytes(good);
        Path cut = tmp.resolve("cut.tar");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2 + 100));
        BerthException e = assertThrows(BerthException.class,
                () -> new ImageImporter(content, images).importFrom(cut, ImportOptions.defaults()));
        assertTrue(e.category() == ErrorCategory.INVALID_ARGUMENT || e.category() == ErrorCategory.FAILED_PRECONDITION,
                e.getMessage());
        assertTrue(images.list().isEmpty());
    }
}
