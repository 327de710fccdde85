package dev.berth.engine.images.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.content.local.LocalContentStore;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.MetadataImageStore;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.PrivateContainerd;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd itself (Debian package, a private instance) as the oracle for import and export:
 * {@code ctr images import} reads what Berth exports, Berth imports what {@code ctr images export}
 * writes, and both convert the same docker archive to the same config and layers.
 */
class ContainerdArchiveIT {
    @TempDir
    Path tmp;
    private PrivateContainerd containerd;
    private MetadataStore md;
    private LocalContentStore content;
    private MetadataImageStore images;

    @BeforeEach
    void start() {
        md = MetadataStore.open(tmp.resolve("berth/meta.db"));
        content = LocalContentStore.open(tmp.resolve("berth/content"), md, Clock.systemUTC());
        images = new MetadataImageStore(md, Clock.systemUTC());
        containerd = PrivateContainerd.start(tmp);
    }

    @AfterEach
    void stop() {
        try {
            if (containerd != null) {
                containerd.close();
            }
        } finally {
            md.close();
        }
    }

    private String ctr(String... args) {
        return containerd.ctr(args);
    }

    /** The target digest ctr lists for {@code name}. */
    private Digest ctrTarget(String name) {
        for (String line : ctr("images", "ls").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 2 && f[0].equals(name)) {
                return Digest.parse(f[2]);
            }
        }
        throw new AssertionError(name + " not in ctr images ls:\n" + ctr("images", "ls"));
    }

    private static BuiltImage image() {
        LayerBuilder top = LayerBuilder.create();
        top.dir("etc");
        top.file("etc/motd", "hello from berth\n");
        top.symlink("etc/link", "motd");
        return OciImageBuilder.busybox().layer(top).build();
    }

    @Test
    void ctrImportsWhatBerthExports() throws IOException {
        BuiltImage img = image();
        img.writeTo(content);
        images.put(Image.of("docker.io/library/berthbox:1", img.target()));
        Path tar = tmp.resolve("berth-export.tar");
        new ImageExporter(content).export(List.of(images.get("docker.io/library/berthbox:1")), tar, ExportOptions.oci());
        ctr("images", "import", "--no-unpack", tar.toString());
        assertEquals(img.target().digest(), ctrTarget("docker.io/library/berthbox:1"));
        String check = ctr("images", "check", "name==docker.io/library/berthbox:1");
        // ctr counts the config and the layers
        int n = img.layers().size() + 1;
        assertTrue(check.contains(" complete (" + n + "/" + n + ")"), check);
    }

    @Test
    void berthImportsWhatCtrExports() throws IOException {
        BuiltImage img = image();
        Path layout = tmp.resolve("in.tar");
        img.writeLayoutTar(layout, "docker.io/library/fromctr:2");
        ctr("images", "import", "--no-unpack", layout.toString());
        Path exported = tmp.resolve("ctr-export.tar");
        ctr("images", "export", exported.toString(), "docker.io/library/fromctr:2");
        List<Image> imported = new ImageImporter(content, images).importFrom(exported, ImportOptions.defaults());
        assertEquals(List.of("docker.io/library/fromctr:2"), imported.stream().map(Image::name).toList());
        assertEquals(img.target(), imported.get(0).target());
        for (Digest d : img.blobs().keySet()) {
            content.verify(d);
        }
    }

    @Test
    void berthAndCtrConvertADockerArchiveAlike() throws IOException {
        BuiltImage img = image();
        img.writeTo(content);
        images.put(Image.of("docker.io/library/dockerish:3", img.target()));
        Path tar = tmp.resolve("docker-save.tar");
        new ImageExporter(content).export(List.of(images.get("docker.io/library/dockerish:3")), tar, ExportOptions.docker());

        ctr("images", "import", "--no-unpack", tar.toString());
        Digest ctrManifest = ctrTarget("docker.io/library/dockerish:3");
        Manifest theirs = Images.parseManifest(ctr("content", "get", ctrManifest.toString()).getBytes(StandardCharsets.UTF_8),
                "ctr's manifest");

        MetadataStore md2 = MetadataStore.open(tmp.resolve("berth2/meta.db"));
        try {
            LocalContentStore c2 = LocalContentStore.open(tmp.resolve("berth2/content"), md2, Clock.systemUTC());
            Image ours = new ImageImporter(c2, new MetadataImageStore(md2, Clock.systemUTC()))
                    .importFrom(tar, ImportOptions.defaults()).get(0);
            assertEquals("docker.io/library/dockerish:3", ours.name());
            ResolvedImage r = Images.resolve(c2, ours.target(), Platforms.all());
            assertEquals(theirs.config().digest(), r.configDescriptor().digest());
            assertEquals(theirs.layers().stream().map(Descriptor::digest).toList(),
                    r.layers().stream().map(Descriptor::digest).toList());
            assertEquals(theirs.layers().stream().map(Descriptor::mediaType).toList(),
                    r.layers().stream().map(Descriptor::mediaType).toList());
            assertEquals(img.diffIds(), r.layers().stream().map(Descriptor::digest).toList());
        } finally {
            md2.close();
        }
    }
}
