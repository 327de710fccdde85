package dev.berth.engine.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.images.Image;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image whose blobs carry no containerd GC child labels (written by hand or by an older tool)
 * keeps its config and layers through a collection: the collector follows the manifests too.
 * Found when the daemon's first collection deleted the layers of a test image.
 */
class UnlabelledImageKeepsItsBlobsIT {
    @TempDir
    Path tmp;

    @Test
    void collectionKeepsEveryBlobTheManifestNames() {
        Config c = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString());
        BuiltImage img = OciImageBuilder.busybox().build();
        BuiltImage orphan = OciImageBuilder.create().cmd("/x").build();
        try (Engine e = Engine.open(c)) {
            img.writeTo(e.content());
            orphan.writeTo(e.content());
            e.images().put(Image.of("localhost/unlabelled:1", img.target()));
            var result = e.gc().collect(false);
            for (Digest d : img.blobs().keySet()) {
                assertTrue(e.content().exists(d), "kept " + d);
            }
            assertEquals(false, e.content().exists(orphan.target().digest()), "an unreferenced manifest still goes");
            assertTrue(result.removed().size() >= 1);
        }
    }
}
