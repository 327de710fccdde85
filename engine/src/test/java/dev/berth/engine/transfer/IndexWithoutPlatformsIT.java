package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.berth.engine.images.Image;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Index;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Index entries without a {@code platform} are matched by their config, as containerd does. */
class IndexWithoutPlatformsIT {
    @Test
    void entriesWithoutPlatformAreJudgedByTheirConfig() throws Exception {
        BuiltImage amd64 = OciImageBuilder.create().platform("linux", "amd64", null)
                .layer(RegistryPullIT.randomLayer(71, 1, 1000)).build();
        BuiltImage arm64 = OciImageBuilder.create().platform("linux", "arm64", "v8")
                .layer(RegistryPullIT.randomLayer(72, 1, 1000)).build();
        byte[] index = OciJson.write(new Index(2, MediaTypes.OCI_INDEX, List.of(amd64.target(), arm64.target()), null));
        try (FaultyRegistry server = new FaultyRegistry();
             PullFixture f = new PullFixture(PullFixture.fastOptions())) {
            server.add(amd64, "amd64");
            server.add(arm64, "arm64");
            server.addRawManifest("noplatform", index, MediaTypes.OCI_INDEX);
            Image img = f.puller.pull(Reference.parse(server.host() + "/np/app:noplatform"),
                    PullOptions.defaults().withPlatforms(Platforms.only(Platforms.parse("linux/arm64"))));
            assertEquals(MediaTypes.OCI_INDEX, img.target().mediaType());
            f.assertHas(arm64);
            for (Descriptor l : amd64.layers()) {
                assertFalse(f.content.exists(l.digest()), "the amd64 entry comes first but does not match");
            }
            f.assertConsistent();
        }
    }
}
