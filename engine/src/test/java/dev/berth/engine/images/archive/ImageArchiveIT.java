package dev.berth.engine.images.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.content.local.LocalContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.MetadataImageStore;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Import and export against the real store on disk, with skopeo and umoci as independent oracles. */
class ImageArchiveIT {
    @TempDir
    Path tmp;
    private final List<MetadataStore> opened = new ArrayList<>();

    /** One engine-less store: content + image records under its own root. */
    final class Store {
        final LocalContentStore content;
        final MetadataImageStore images;

        Store(String name) {
            MetadataStore md = MetadataStore.open(tmp.resolve(name).resolve("meta.db"));
            opened.add(md);
            content = LocalContentStore.open(tmp.resolve(name).resolve("content"), md, Clock.systemUTC());
            images = new MetadataImageStore(md, Clock.systemUTC());
        }

        List<Image> importFrom(Path p, String name) {
            return new ImageImporter(content, images).importFrom(p, ImportOptions.defaults().withName(name));
        }

        void export(Path out, ExportOptions o, String... names) {
            List<Image> imgs = new ArrayList<>();
            for (String n : names) {
                imgs.add(images.get(n));
            }
            new ImageExporter(content).export(imgs, out, o);
        }

        void add(String name, BuiltImage img) {
            img.writeTo(content);
            images.put(Image.of(name, img.target()));
        }
    }

    @AfterEach
    void closeAll() {
        opened.forEach(MetadataStore::close);
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static BuiltImage twoPlatforms() {
        LayerBuilder base = LayerBuilder.create().compression(LayerBuilder.Compression.ZSTD);
        base.dir("etc");
        base.file("etc/os", "berth-test");
        LayerBuilder top = LayerBuilder.create();
        top.file("etc/extra", "x");
        BuiltImage amd = OciImageBuilder.create().platform("linux", "amd64", null).layer(base).layer(top).build();
        BuiltImage arm = OciImageBuilder.create().platform("linux", "arm64", "v8").layer(base).build();
        return OciImageBuilder.index(OciImageBuilder.Format.OCI, amd, arm);
    }

    @Test
    void ociTarRoundTripKeepsEveryDigest() {
        Store a = new Store("a");
        BuiltImage idx = twoPlatforms();
        a.add("docker.io/library/multi:1", idx);
        BuiltImage bb = OciImageBuilder.busybox().format(OciImageBuilder.Format.DOCKER).build();
        a.add("docker.io/library/busybox:latest", bb);
        Path tar = tmp.resolve("out.tar");
        a.export(tar, ExportOptions.oci(), "docker.io/library/multi:1", "docker.io/library/busybox:latest");

        Store b = new Store("b");
        List<Image> imported = b.importFrom(tar, null);
        assertEquals(List.of("docker.io/library/multi:1", "docker.io/library/busybox:latest"),
                imported.stream().map(Image::name).toList());
        assertEquals(idx.target(), b.images.get("docker.io/library/multi:1").target());
        assertEquals(bb.target(), b.images.get("docker.io/library/busybox:latest").target());
        for (Digest d : idx.blobs().keySet()) {
            b.content.verify(d);
        }
        for (Digest d : bb.blobs().keySet()) {
            b.content.verify(d);
        }
        // GC labels like containerd's
        assertTrue(b.content.info(idx.target().digest()).labels().containsKey("containerd.io/gc.ref.content.m.1"));
        assertTrue(b.content.info(bb.target().digest()).labels().containsKey("containerd.io/gc.ref.content.l.0"));
    }

    @Test
    void ociLayoutExportIsReadBySkopeoWithTheSameBytes() {
        Store a = new Store("a");
        BuiltImage idx = twoPlatforms();
        a.add("example.com/multi:v2", idx);
        Path dir = tmp.resolve("layout");
        new ImageExporter(a.content).exportLayout(List.of(a.images.get("example.com/multi:v2")), dir, ExportOptions.oci());
        assertArrayEquals(idx.blobs().get(idx.target().digest()),
                Tools.run(List.of("skopeo", "inspect", "--raw", "oci:" + dir + ":v2")));
        BuiltImage amd = idx.children().get(0);
        byte[] config = Tools.run(List.of("skopeo", "--override-arch", "amd64", "inspect", "--config", "--raw",
                "oci:" + dir + ":v2"));
        assertArrayEquals(amd.blobs().get(amd.configDescriptor().digest()), config);
        // skopeo verifies every blob digest while copying
        Tools.run(List.of("skopeo", "copy", "--all", "oci:" + dir + ":v2", "oci:" + tmp.resolve("copy") + ":c"));
        // umoci reads a single-manifest export (it does not pick platforms out of an index)
        BuiltImage bb = OciImageBuilder.busybox().build();
        a.add("docker.io/library/busybox:1.36", bb);
        Path single = tmp.resolve("single");
        new ImageExporter(a.content).exportLayout(List.of(a.images.get("docker.io/library/busybox:1.36")), single,
                ExportOptions.oci());
        assertEquals("1.36", str(Tools.run(List.of("umoci", "ls", "--layout", single.toString()))).trim());
        String stat = str(Tools.run(List.of("umoci", "stat", "--image", single + ":1.36", "--json")));
        assertTrue(stat.contains("\"history\""), stat);
    }

    @Test
    void platformFilteredExportIsSparseButImportable() {
        Store a = new Store("a");
        BuiltImage idx = twoPlatforms();
        a.add("example.com/multi:v2", idx);
        Path tar = tmp.resolve("arm.tar");
        new ImageExporter(a.content).export(List.of(a.images.get("example.com/multi:v2")), tar,
                ExportOptions.oci().withPlatforms(Platforms.only(Platforms.parse("linux/arm64"))));
        Store b = new Store("b");
        b.importFrom(tar, null);
        ResolvedImage r = Images.resolve(b.content, idx.target(), Platforms.only(Platforms.parse("linux/arm64")));
        assertEquals(idx.children().get(1).target().digest(), r.manifestDescriptor().digest());
        assertFalse(b.content.exists(idx.children().get(0).target().digest()));
        BerthException e = assertThrows(BerthException.class,
                () -> Images.resolve(b.content, idx.target(), Platforms.only(Platforms.parse("linux/amd64"))));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
    }

    @Test
    void dockerArchiveExportIsReadBySkopeoAndImportsBack() {
        Store a = new Store("a");
        BuiltImage bb = OciImageBuilder.busybox().build();
        a.add("docker.io/library/busybox:latest", bb);
        Path tar = tmp.resolve("docker.tar");
        a.export(tar, ExportOptions.docker(), "docker.io/library/busybox:latest");
        assertArrayEquals(bb.blobs().get(bb.configDescriptor().digest()),
                Tools.run(List.of("skopeo", "inspect", "--config", "--raw", "docker-archive:" + tar)));
        String manifestJson = str(Tools.run(List.of("tar", "-xOf", tar.toString(), "manifest.json")));
        assertTrue(manifestJson.contains("\"RepoTags\":[\"busybox:latest\"]"), manifestJson);
        String inspect = str(Tools.run(List.of("skopeo", "inspect", "docker-archive:" + tar)));
        assertTrue(inspect.contains(bb.diffIds().get(0).toString()), inspect);
        Tools.run(List.of("skopeo", "copy", "docker-archive:" + tar, "oci:" + tmp.resolve("fromdocker") + ":x"));

        Store b = new Store("b");
        Image img = b.importFrom(tar, null).get(0);
        assertEquals("docker.io/library/busybox:latest", img.name());
        assertEquals(MediaTypes.DOCKER_MANIFEST, img.target().mediaType());
        ResolvedImage r = Images.resolve(b.content, img.target(), Platforms.all());
        assertEquals(bb.configDescriptor().digest(), r.configDescriptor().digest());
        assertEquals(bb.diffIds(), r.diffIds());
        assertEquals(MediaTypes.DOCKER_LAYER, r.layers().get(0).mediaType());
        assertEquals(bb.diffIds().get(0), r.layers().get(0).digest());
    }

    @Test
    void importsWhatSkopeoWrites() {
        BuiltImage bb = OciImageBuilder.busybox().build();
        Path built = tmp.resolve("built");
        bb.writeLayout(built, "v1");
        Path copied = tmp.resolve("copied");
        Tools.run(List.of("skopeo", "copy", "oci:" + built + ":v1", "oci:" + copied + ":v1"));
        Path dockerTar = tmp.resolve("skopeo-docker.tar");
        Tools.run(List.of("skopeo", "copy", "oci:" + built + ":v1", "docker-archive:" + dockerTar + ":example.com/app:v1"));

        Store s = new Store("s");
        BerthException unnamed = assertThrows(BerthException.class, () -> s.importFrom(copied, null));
        assertTrue(unnamed.getMessage().contains("--name"), unnamed.getMessage());
        Image fromLayout = s.importFrom(copied, "example.com/app").get(0);
        assertEquals("example.com/app:v1", fromLayout.name());
        assertEquals(Digest.parse(str(Tools.run(List.of("skopeo", "inspect", "--format", "{{.Digest}}",
                "oci:" + copied + ":v1"))).trim()), fromLayout.target().digest());

        Image fromDocker = s.importFrom(dockerTar, null).get(0);
        assertEquals("example.com/app:v1", fromDocker.name());
        ResolvedImage r = Images.resolve(s.content, fromDocker.target(), Platforms.all());
        assertEquals(bb.diffIds(), r.diffIds());
        for (Descriptor l : r.layers()) {
            s.content.verify(l.digest());
        }
    }

    @Test
    void importsWhatUmociWrites() throws IOException {
        Path layout = tmp.resolve("umoci");
        Path file = tmp.resolve("hello.txt");
        Files.writeString(file, "hello from umoci\n");
        Tools.run(List.of("umoci", "init", "--layout", layout.toString()));
        Tools.run(List.of("umoci", "new", "--image", layout + ":t"));
        Tools.run(List.of("umoci", "insert", "--image", layout + ":t", file.toString(), "/hello.txt"));
        Store s = new Store("s");
        Image img = s.importFrom(layout, "localhost/umoci").get(0);
        assertEquals("localhost/umoci:t", img.name());
        byte[] raw = Tools.run(List.of("skopeo", "inspect", "--raw", "oci:" + layout + ":t"));
        assertEquals(Digest.sha256(raw), img.target().digest());
        ResolvedImage r = Images.resolve(s.content, img.target(), Platforms.all());
        assertEquals(1, r.layers().size());
    }

    @Test
    void corruptStoreBlobFailsExportAndLeavesNoFile() throws IOException {
        Store a = new Store("a");
        BuiltImage bb = OciImageBuilder.busybox().build();
        a.add("x:1", bb);
        Path f = a.content.blobPath(bb.layers().get(0).digest());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] bytes = Files.readAllBytes(f);
        bytes[100] ^= 0x55;
        Files.write(f, bytes);
        Path out = tmp.resolve("bad.tar");
        BerthException e = assertThrows(BerthException.class, () -> a.export(out, ExportOptions.oci(), "x:1"));
        assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
        assertFalse(Files.exists(out));
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".bad.tar")));
        }
        try (InputStream in = a.content.open(bb.configDescriptor().digest())) {
            assertTrue(in.readAllBytes().length > 0);
        }
        assertEquals(Map.of(), Map.of());
    }
}
