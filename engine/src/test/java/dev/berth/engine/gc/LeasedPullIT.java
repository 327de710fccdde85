package dev.berth.engine.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.fs.FileTree;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.docker.RegistryOptions;
import dev.berth.engine.remotes.docker.RegistryResolver;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.engine.transfer.BlobProgress;
import dev.berth.engine.transfer.ImagePuller;
import dev.berth.engine.transfer.PullOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A collection that runs in the middle of a pull from a real registry (from the download thread,
 * right after the first blob is committed) removes nothing of that pull when the pull holds a lease;
 * without the lease the same collection breaks the pull, which shows the test can fail.
 */
class LeasedPullIT {
    private static RegistryProcess registry;
    private static Path work;
    private static BuiltImage image;
    private GcFixture f;
    private RegistryResolver resolver;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = RegistryProcess.start();
        work = Files.createTempDirectory("berth-gc-pull-");
        image = OciImageBuilder.create().layer(layer(1)).layer(layer(2)).layer(layer(3)).cmd("/bin/true").build();
        image.writeLayout(work.resolve("layout"), "src");
        registry.push(work.resolve("layout"), "src", "test/leased:1");
    }

    private static LayerBuilder layer(int seed) {
        byte[] b = new byte[50_000];
        new Random(seed).nextBytes(b);
        LayerBuilder l = LayerBuilder.create();
        l.file("data-" + seed, b, 0644);
        return l;
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
        if (work != null) {
            FileTree.deleteRecursively(work);
        }
    }

    @BeforeEach
    void open() throws Exception {
        f = new GcFixture();
        resolver = new RegistryResolver(RegistryOptions.builder().backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .responseTimeout(Duration.ofSeconds(5)).progressTimeout(Duration.ofSeconds(2)).build());
    }

    @AfterEach
    void close() {
        resolver.close();
        f.close();
    }

    /** Pulls with a collection run once, synchronously, when the first downloaded blob is committed. */
    private GcResult pullWithCollection(LeaseManager leases) {
        AtomicReference<GcResult> during = new AtomicReference<>();
        BlobProgress.Listener collectOnFirstDone = p -> {
            if (p.phase() == BlobProgress.Phase.DONE && during.get() == null) {
                during.set(f.engine.gc().collect(false));
            }
        };
        ImagePuller puller = new ImagePuller(f.engine.content(), f.engine.images(), resolver, leases);
        puller.pull(Reference.parse(registry.host() + "/test/leased:1"),
                PullOptions.defaults().withMaxConcurrentDownloads(1).withListener(collectOnFirstDone));
        assertNotNull(during.get(), "the collection ran during the pull");
        return during.get();
    }

    @Test
    void aLeasedPullSurvivesACollectionAndCompletesVerified() {
        GcResult during = pullWithCollection(f.engine.leases());

        assertEquals(0, during.of(GcResult.Kind.CONTENT).size(), "removed during the pull: " + during.removed());
        Image img = f.engine.images().get(registry.host() + "/test/leased:1");
        for (Digest d : image.blobs().keySet()) {
            f.engine.content().verify(d);
        }
        assertEquals(3, Images.resolve(f.engine.content(), img.target(), Platforms.all()).layers().size());
        assertEquals(0, f.engine.leases().list().size(), "the pull's lease is gone when it ends");
        assertTrue(f.engine.gc().collect(false).removed().isEmpty(), "the image record holds everything now");
        f.engine.unpacker().unpack(img.name(), "overlayfs", Platforms.all());
    }

    @Test
    void withoutALeaseTheSameCollectionBreaksThePull() {
        GcResult during = pullWithCollection(null);

        assertTrue(during.of(GcResult.Kind.CONTENT).stream().anyMatch(r -> r.name().equals(image.target().digest().toString())),
                "the unleased manifest was collected: " + during.removed());
        assertFalse(f.engine.content().exists(image.target().digest()));
    }
}
