package dev.berth.engine.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test image builder checked against skopeo and tar, so tests built on it stand on firm ground. */
class OciImageBuilderIT {
    @TempDir
    Path dir;

    @Test
    void layoutIsReadBySkopeoWithTheSameBytes() throws Exception {
        BuiltImage img = OciImageBuilder.busybox().build();
        Path layout = dir.resolve("layout");
        img.writeLayout(layout, "v1");
        byte[] raw = Tools.run(List.of("skopeo", "inspect", "--raw", "oci:" + layout + ":v1"));
        assertArrayEquals(img.blobs().get(img.target().digest()), raw);
        String config = new String(Tools.run(List.of("skopeo", "inspect", "--config", "--raw", "oci:" + layout + ":v1")),
                StandardCharsets.UTF_8);
        assertTrue(config.contains(img.diffIds().get(0).toString()), config);
    }

    @Test
    void layerTarListsWithGnuTar() throws Exception {
        BuiltImage img = OciImageBuilder.busybox().build();
        Path layer = dir.resolve("layer.tgz");
        Files.write(layer, img.blobs().get(img.layers().get(0).digest()));
        String list = new String(Tools.run(List.of("tar", "-tvzf", layer.toString())), StandardCharsets.UTF_8);
        assertTrue(list.contains("bin/sh -> busybox"), list);
        assertTrue(list.contains("drwxrwxrwt"), list);
        assertEquals(MediaTypes.OCI_LAYER_GZIP, img.layers().get(0).mediaType());
        assertEquals(Digest.sha256(LayerBuilder.create().tar()), Digest.sha256(LayerBuilder.create().tar()));
    }

    @Test
    void indexWithTwoPlatformsAndZstdIsDeterministic() {
        LayerBuilder l = LayerBuilder.create().compression(LayerBuilder.Compression.ZSTD);
        l.file("hello", "world");
        BuiltImage a = OciImageBuilder.create().platform("linux", "amd64", null).layer(l).build();
        BuiltImage b = OciImageBuilder.create().platform("linux", "arm64", "v8").layer(l).build();
        BuiltImage idx = OciImageBuilder.index(OciImageBuilder.Format.OCI, a, b);
        BuiltImage idx2 = OciImageBuilder.index(OciImageBuilder.Format.OCI,
                OciImageBuilder.create().platform("linux", "amd64", null).layer(l).build(), b);
        assertEquals(idx.target(), idx2.target());
        assertEquals(2, idx.children().size());
        assertEquals(MediaTypes.OCI_LAYER_ZSTD, a.layers().get(0).mediaType());
    }
}
