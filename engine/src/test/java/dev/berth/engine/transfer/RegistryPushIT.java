package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.auth.Credentials;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Push from the content store to a real registry; skopeo reads back the same bytes. */
class RegistryPushIT {
    @Test
    void pushesAnIndexAndSkipsBlobsTheRegistryHas() throws Exception {
        BuiltImage a = OciImageBuilder.create().platform("linux", "amd64", null)
                .layer(RegistryPullIT.randomLayer(51, 2, 3000)).layer(RegistryPullIT.randomLayer(52, 1, 3000)).build();
        BuiltImage b = OciImageBuilder.create().platform("linux", "arm64", "v8")
                .layer(RegistryPullIT.randomLayer(53, 1, 3000)).build();
        BuiltImage index = OciImageBuilder.index(OciImageBuilder.Format.OCI, a, b);
        Path work = Files.createTempDirectory("berth-push-it-");
        try (RegistryProcess reg = RegistryProcess.builder().tokenAuth("pusher", "pw", false).start();
             PullFixture f = new PullFixture(PullFixture.fastOptions().credentials(Credentials.fixed("pusher", "pw")))) {
            index.writeTo(f.content);
            f.images.put(Image.of("local/app:1", index.target()));

            List<BlobProgress> events = Collections.synchronizedList(new ArrayList<>());
            Reference dest = Reference.parse(reg.host() + "/pushed/app:v1");
            ImagePusher pusher = new ImagePusher(f.content, f.images, f.resolver);
            pusher.push("local/app:1", dest, PullOptions.defaults().withListener(events::add));
            assertArrayEquals(index.blobs().get(index.target().digest()), reg.inspectRaw("pushed/app:v1"));
            Path layout = work.resolve("copy");
            reg.copyToLayout("pushed/app:v1", layout, "x");
            for (Digest d : a.blobs().keySet()) {
                assertArrayEquals(a.blobs().get(d), RegistryPullIT.readLayoutBlob(layout, d), d.toString());
            }
            assertTrue(events.stream().anyMatch(e -> e.phase() == BlobProgress.Phase.DONE));

            // a second tag: every blob exists already, only the index is PUT
            events.clear();
            pusher.push("local/app:1", dest.withTag("v2"), PullOptions.defaults().withListener(events::add));
            assertTrue(events.stream().filter(e -> e.ref().startsWith("layer-") || e.ref().startsWith("config-"))
                    .allMatch(e -> e.phase() == BlobProgress.Phase.EXISTS), events.toString());
            assertArrayEquals(index.blobs().get(index.target().digest()), reg.inspectRaw("pushed/app:v2"));

            // and it pulls back into a fresh store
            try (PullFixture g = new PullFixture(PullFixture.fastOptions().credentials(Credentials.fixed("pusher", "pw")))) {
                g.puller.pull(dest, PullOptions.defaults().withPlatforms(
                        dev.berth.engine.images.Platforms.only(dev.berth.engine.images.Platforms.parse("linux/arm64"))));
                g.assertHas(b);
            }
        } finally {
            PullFixture.deleteTree(work);
        }
    }

    @Test
    void refusesIncompleteImagesAndUnknownNames() throws Exception {
        BuiltImage a = OciImageBuilder.create().layer(RegistryPullIT.randomLayer(54, 1, 100)).build();
        try (RegistryProcess reg = RegistryProcess.start();
             PullFixture f = new PullFixture(PullFixture.fastOptions())) {
            Reference dest = Reference.parse(reg.host() + "/x/y:1");
            ImagePusher pusher = new ImagePusher(f.content, f.images, f.resolver);
            BerthException e = assertThrows(BerthException.class, () -> pusher.push("nope:1", dest, PullOptions.defaults()));
            assertEquals(ErrorCategory.NOT_FOUND, e.category());
            // manifest present, layer missing
            dev.berth.engine.content.Content.writeBytes(f.content, a.target().mediaType(),
                    a.blobs().get(a.target().digest()), java.util.Map.of());
            f.images.put(Image.of("partial:1", a.target()));
            e = assertThrows(BerthException.class, () -> pusher.push("partial:1", dest, PullOptions.defaults()));
            assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
            assertTrue(e.getMessage().contains("not in the content store"), e.getMessage());
        }
    }
}
