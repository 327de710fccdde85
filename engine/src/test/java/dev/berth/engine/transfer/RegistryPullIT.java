package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pulls from a real docker-registry: OCI and Docker media types, one and several layers (gzip,
 * plain, zstd), an index with two platforms, by tag and by digest, a missing tag; checked against
 * skopeo (same manifest bytes as served, same blobs as {@code skopeo copy} writes).
 */
class RegistryPullIT {
    static RegistryProcess registry;
    static Path work;
    static BuiltImage single;
    static BuiltImage multi;
    static BuiltImage docker;
    static BuiltImage amd64;
    static BuiltImage arm64;
    static BuiltImage index;
    PullFixture f;

    static LayerBuilder randomLayer(int seed, int files, int size) {
        Random r = new Random(seed);
        LayerBuilder l = LayerBuilder.create();
        l.dir("data");
        for (int i = 0; i < files; i++) {
            byte[] b = new byte[size];
            r.nextBytes(b);
            l.file("data/f" + seed + "-" + i, b, 0644);
        }
        return l;
    }

    @BeforeAll
    static void setUp() throws Exception {
        registry = RegistryProcess.start();
        work = Files.createTempDirectory("berth-pull-it-");
        single = OciImageBuilder.busybox().build();
        multi = OciImageBuilder.create()
                .layer(randomLayer(1, 4, 300_000))
                .layer(randomLayer(2, 3, 200_000).compression(LayerBuilder.Compression.NONE))
                .layer(randomLayer(3, 2, 500_000).compression(LayerBuilder.Compression.ZSTD))
                .cmd("/bin/true").build();
        docker = OciImageBuilder.create().format(OciImageBuilder.Format.DOCKER).layer(randomLayer(4, 2, 1000))
                .layer(randomLayer(5, 1, 1000)).build();
        amd64 = OciImageBuilder.create().platform("linux", "amd64", null).layer(randomLayer(6, 1, 1000)).build();
        arm64 = OciImageBuilder.create().platform("linux", "arm64", "v8").layer(randomLayer(7, 1, 1000)).build();
        index = OciImageBuilder.index(OciImageBuilder.Format.OCI, amd64, arm64);
        push(single, "test/single:1");
        registry.pushRaw(multi, "test/multi", "1"); // skopeo 1.9 would rewrite the zstd layer entry
        registry.pushRaw(docker, "test/docker", "1");
        push(index, "test/index:1", "--all");
    }

    static void push(BuiltImage img, String dest, String... extra) {
        Path layout = work.resolve(dest.replace('/', '_').replace(':', '_'));
        img.writeLayout(layout, "src");
        registry.push(layout, "src", dest, extra);
    }

    @AfterAll
    static void tearDown() {
        if (registry != null) {
            registry.close();
        }
        if (work != null) {
            PullFixture.deleteTree(work);
        }
    }

    @BeforeEach
    void store() {
        f = new PullFixture(PullFixture.fastOptions());
    }

    @AfterEach
    void closeStore() {
        f.close();
    }

    private Reference ref(String repoTag) {
        return Reference.parse(registry.host() + "/" + repoTag);
    }

    @Test
    void singleLayerMatchesSkopeo() {
        List<BlobProgress> events = Collections.synchronizedList(new ArrayList<>());
        Image img = f.puller.pull(ref("test/single:1"), PullOptions.defaults().withListener(events::add));
        assertEquals(registry.host() + "/test/single:1", img.name());
        assertEquals(single.target().digest(), img.target().digest());
        assertEquals(MediaTypes.OCI_MANIFEST, img.target().mediaType());
        f.assertHas(single);
        f.assertConsistent();
        assertEquals(img, f.images.get(img.name()));
        // the oracle: what the registry serves, as skopeo sees it
        assertArrayEquals(registry.inspectRaw("test/single:1"), f.blob(img.target().digest()));
        Path layout = work.resolve("skopeo-single");
        registry.copyToLayout("test/single:1", layout, "x");
        for (Digest d : single.blobs().keySet()) {
            assertArrayEquals(readLayoutBlob(layout, d), f.blob(d), "skopeo copy has the same bytes for " + d);
        }
        // labels as containerd writes them
        Map<String, String> ml = f.content.info(img.target().digest()).labels();
        assertEquals(single.configDescriptor().digest().toString(), ml.get("containerd.io/gc.ref.content.config"));
        assertEquals(single.layers().get(0).digest().toString(), ml.get("containerd.io/gc.ref.content.l.0"));
        assertEquals("test/single", ml.get("containerd.io/distribution.source." + registry.host()));
        assertEquals("test/single", f.content.info(single.layers().get(0).digest()).labels()
                .get("containerd.io/distribution.source." + registry.host()));
        // progress: every blob reported done with its full size
        Set<String> done = events.stream().filter(e -> e.phase() == BlobProgress.Phase.DONE)
                .map(BlobProgress::ref).collect(Collectors.toSet());
        assertTrue(done.contains("layer-" + single.layers().get(0).digest()), done.toString());
        assertTrue(done.contains("config-" + single.configDescriptor().digest()), done.toString());
        assertTrue(done.contains("manifest-" + single.target().digest()), done.toString());
    }

    static byte[] readLayoutBlob(Path layout, Digest d) {
        try {
            return Files.readAllBytes(layout.resolve("blobs").resolve(d.algorithm()).resolve(d.hex()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void multiLayerGzipPlainZstdConcurrently() {
        Image img = f.puller.pull(ref("test/multi:1"), PullOptions.defaults().withMaxConcurrentDownloads(2));
        assertEquals(multi.target().digest(), img.target().digest());
        assertEquals(List.of(MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER, MediaTypes.OCI_LAYER_ZSTD),
                multi.layers().stream().map(Descriptor::mediaType).toList());
        f.assertHas(multi);
        f.assertConsistent();
        assertArrayEquals(registry.inspectRaw("test/multi:1"), f.blob(img.target().digest()));
    }

    @Test
    void dockerMediaTypes() {
        Image img = f.puller.pull(ref("test/docker:1"), PullOptions.defaults());
        assertEquals(MediaTypes.DOCKER_MANIFEST, img.target().mediaType());
        assertEquals(docker.target().digest(), img.target().digest());
        f.assertHas(docker);
        assertArrayEquals(registry.inspectRaw("test/docker:1"), f.blob(img.target().digest()));
    }

    @Test
    void indexPicksThePlatform() {
        Image img = f.puller.pull(ref("test/index:1"),
                PullOptions.defaults().withPlatforms(Platforms.only(Platforms.parse("linux/arm64"))));
        assertEquals(index.target().digest(), img.target().digest());
        assertEquals(MediaTypes.OCI_INDEX, img.target().mediaType());
        f.assertHas(arm64);
        for (Descriptor l : amd64.layers()) {
            assertFalse(f.content.exists(l.digest()), "the other platform's layer is not fetched");
        }
        Map<String, String> il = f.content.info(index.target().digest()).labels();
        assertEquals(arm64.target().digest().toString(), il.get("containerd.io/gc.ref.content.m.1"), il.toString());
        assertFalse(il.containsKey("containerd.io/gc.ref.content.m.0"), "only fetched children are referenced");
        assertArrayEquals(registry.inspectRaw("test/index:1"), f.blob(index.target().digest()));

        f.puller.pull(ref("test/index:1"), PullOptions.defaults()
                .withPlatforms(Platforms.only(Platforms.parse("linux/amd64"))));
        f.assertHas(amd64);
        f.assertConsistent();
        il = f.content.info(index.target().digest()).labels();
        assertEquals(amd64.target().digest().toString(), il.get("containerd.io/gc.ref.content.m.0"), il.toString());
        assertEquals(arm64.target().digest().toString(), il.get("containerd.io/gc.ref.content.m.1"),
                "the first platform stays referenced");
    }

    @Test
    void noMatchingPlatform() {
        BerthException e = assertThrows(BerthException.class, () -> f.puller.pull(ref("test/index:1"),
                PullOptions.defaults().withPlatforms(Platforms.only(Platforms.parse("linux/s390x")))));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
        assertTrue(e.getMessage().contains("no match for platform linux/s390x"), e.getMessage());
        assertTrue(f.images.list().isEmpty());
    }

    @Test
    void byDigestAndTagPlusDigest() {
        Reference r = ref("test/single@" + single.target().digest());
        Image img = f.puller.pull(r, PullOptions.defaults());
        assertEquals(registry.host() + "/test/single@" + single.target().digest(), img.name());
        f.assertHas(single);
        Reference wrong = ref("test/single:1@" + multi.target().digest());
        BerthException e = assertThrows(BerthException.class, () -> f.puller.pull(wrong, PullOptions.defaults()));
        assertEquals(ErrorCategory.NOT_FOUND, e.category(), e.getMessage());
    }

    @Test
    void missingTagAndRepository() {
        BerthException e = assertThrows(BerthException.class,
                () -> f.puller.pull(ref("test/single:nope"), PullOptions.defaults()));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
        assertTrue(e.getMessage().contains("test/single:nope") && e.getMessage().contains("not found"), e.getMessage());
        e = assertThrows(BerthException.class, () -> f.puller.pull(ref("test/absent:1"), PullOptions.defaults()));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
        assertTrue(f.images.list().isEmpty());
        f.assertConsistent();
    }

    @Test
    void secondPullFetchesNothing() {
        f.puller.pull(ref("test/multi:1"), PullOptions.defaults());
        List<BlobProgress> events = Collections.synchronizedList(new ArrayList<>());
        f.puller.pull(ref("test/multi:1"), PullOptions.defaults().withListener(events::add));
        assertFalse(events.isEmpty());
        assertTrue(events.stream().allMatch(e -> e.phase() == BlobProgress.Phase.EXISTS), events.toString());
    }

    @Test
    void observerIsToldBytesDownloadedAndFailuresByCategory() {
        List<String> told = Collections.synchronizedList(new ArrayList<>());
        ImagePuller observed = new ImagePuller(f.content, f.images, f.resolver, null, new TransferObserver() {
            @Override
            public void pulled(String r, long bytes, java.time.Duration took) {
                told.add("pulled " + bytes);
            }

            @Override
            public void pullFailed(String r, ErrorCategory reason, java.time.Duration took) {
                told.add("failed " + reason);
            }
        });
        observed.pull(ref("test/multi:1"), PullOptions.defaults());
        long[] stored = {0};
        f.content.walk(i -> true, i -> stored[0] += i.size());
        assertTrue(stored[0] > 0);
        observed.pull(ref("test/multi:1"), PullOptions.defaults());
        assertThrows(BerthException.class, () -> observed.pull(ref("test/absent:1"), PullOptions.defaults()));
        assertEquals(List.of("pulled " + stored[0], "pulled 0", "failed NOT_FOUND"), told,
                "first pull downloads every blob, the second none");
    }

    @Test
    void unreachableRegistry() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        BerthException e = assertThrows(BerthException.class, () -> f.puller.pull(
                Reference.parse("127.0.0.1:" + port + "/x/y:1"), PullOptions.defaults()));
        assertEquals(ErrorCategory.UNAVAILABLE, e.category());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
    }
}
