package dev.berth.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.content.ContentProvider;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImagesTest {

    /** Blobs in a map: enough of a provider for the pure walking logic. */
    static ContentProvider provider(Map<Digest, byte[]> blobs) {
        return (digest, offset) -> {
            byte[] b = blobs.get(digest);
            if (b == null) {
                throw BerthException.notFound("content %s not found", digest);
            }
            return new ByteArrayInputStream(b, (int) offset, b.length - (int) offset);
        };
    }

    private static BuiltImage image(String arch, String variant, int layers) {
        OciImageBuilder b = OciImageBuilder.create().platform("linux", arch, variant);
        for (int i = 0; i < layers; i++) {
            LayerBuilder l = LayerBuilder.create();
            l.file("f" + i, arch + i);
            b.layer(l);
        }
        return b.build();
    }

    @Test
    void chainIdsFollowTheImageSpec() {
        Digest a = Digest.sha256("a");
        Digest b = Digest.sha256("b");
        Digest c = Digest.sha256("c");
        // computed independently with sha256sum over "<chain> <diff>"
        assertEquals(List.of(a,
                Digest.parse("sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676"),
                Digest.parse("sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106")),
                Images.chainIds(List.of(a, b, c)));
        assertEquals(a, Images.chainId(List.of(a)));
        assertEquals(null, Images.chainId(List.of()));
    }

    @Test
    void resolvesTheHostManifestFromAnIndex() {
        BuiltImage amd = image("amd64", null, 2);
        BuiltImage arm = image("arm64", "v8", 1);
        BuiltImage idx = OciImageBuilder.index(OciImageBuilder.Format.OCI, arm, amd);
        ContentProvider p = provider(idx.blobs());
        ResolvedImage r = Images.resolve(p, idx.target(), Platforms.only(Platforms.parse("linux/amd64")));
        assertEquals(amd.target().digest(), r.manifestDescriptor().digest());
        assertEquals(amd.diffIds(), r.diffIds());
        assertEquals(Images.chainIds(amd.diffIds()), r.chainIds());
        assertEquals("linux/amd64", Platforms.format(r.platform()));
        long expected = idx.target().size() + amd.target().size() + amd.configDescriptor().size()
                + amd.layers().stream().mapToLong(Descriptor::size).sum();
        assertEquals(expected, r.size());
        ResolvedImage r2 = Images.resolve(p, idx.target(), Platforms.only(Platforms.parse("linux/aarch64")));
        assertEquals(arm.target().digest(), r2.manifestDescriptor().digest());
        assertEquals(2, Images.platforms(p, idx.target()).size());
    }

    @Test
    void noMatchingPlatformSaysWhatIsOffered() {
        BuiltImage idx = OciImageBuilder.index(OciImageBuilder.Format.DOCKER, image("arm64", null, 1));
        BerthException e = assertThrows(BerthException.class, () -> Images.resolve(provider(idx.blobs()), idx.target(),
                Platforms.only(Platforms.parse("linux/s390x"))));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
        assertTrue(e.getMessage().contains("no match for platform") && e.getMessage().contains("linux/arm64"), e.getMessage());
        BuiltImage single = image("arm64", null, 1);
        assertThrows(BerthException.class, () -> Images.resolve(provider(single.blobs()), single.target(),
                Platforms.only(Platforms.parse("linux/amd64"))));
    }

    @Test
    void walkVisitsEveryBlobOnceParentsFirstAndSkipsMissingManifests() {
        BuiltImage amd = image("amd64", null, 2);
        BuiltImage arm = image("arm64", null, 1);
        BuiltImage idx = OciImageBuilder.index(OciImageBuilder.Format.OCI, amd, arm);
        List<Digest> seen = new ArrayList<>();
        Images.walk(provider(idx.blobs()), idx.target(), Platforms.all(), false, d -> seen.add(d.digest()));
        assertEquals(idx.blobs().size(), seen.size());
        assertEquals(idx.target().digest(), seen.get(0));
        Map<Digest, byte[]> sparse = new HashMap<>(idx.blobs());
        arm.blobs().keySet().forEach(sparse::remove);
        List<Digest> seen2 = new ArrayList<>();
        Images.walk(provider(sparse), idx.target(), Platforms.all(), true, d -> seen2.add(d.digest()));
        assertEquals(sparse.size(), seen2.size());
        List<Digest> seen3 = new ArrayList<>();
        Images.walk(provider(idx.blobs()), idx.target(), Platforms.only(Platforms.parse("linux/arm64")), false,
                d -> seen3.add(d.digest()));
        assertEquals(1 + arm.blobs().size(), seen3.size());
    }

    @Test
    void rejectsMalformedAndMismatchedBodies() {
        String index = "{\"schemaVersion\":2,\"manifests\":[]}";
        for (String body : List.of("not json", "[1]", index, "{\"schemaVersion\":1,\"fsLayers\":[]}", "{\"schemaVersion\":2}")) {
            BerthException e = assertThrows(BerthException.class,
                    () -> Images.parseManifest(body.getBytes(StandardCharsets.UTF_8), "m"), body);
            assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        }
        BuiltImage img = image("amd64", null, 1);
        assertThrows(BerthException.class, () -> Images.parseIndex(img.blobs().get(img.target().digest()), "i"));
        Descriptor bogus = Descriptor.of(MediaTypes.OCI_LAYER, img.target().digest(), img.target().size());
        assertThrows(BerthException.class, () -> Images.manifestFor(provider(img.blobs()), bogus, Platforms.all()));
    }

    @Test
    void diffIdCountMustMatchLayerCount() {
        BuiltImage img = image("amd64", null, 1);
        Map<Digest, byte[]> blobs = new HashMap<>(img.blobs());
        String m = new String(blobs.get(img.target().digest()), StandardCharsets.UTF_8);
        String twoLayers = m.replace("\"layers\":[", "\"layers\":[" + dev.berth.engine.oci.OciJson.MAPPER
                .writeValueAsString(img.layers().get(0)) + ",");
        byte[] mb = twoLayers.getBytes(StandardCharsets.UTF_8);
        Descriptor d = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256(mb), mb.length);
        blobs.put(d.digest(), mb);
        BerthException e = assertThrows(BerthException.class, () -> Images.resolve(provider(blobs), d, Platforms.all()));
        assertTrue(e.getMessage().contains("diff_ids"), e.getMessage());
    }

    @Test
    void checkReportsMissingContentWithoutFailing() {
        BuiltImage amd = image("amd64", null, 2);
        BuiltImage arm = image("arm64", null, 1);
        BuiltImage idx = OciImageBuilder.index(OciImageBuilder.Format.OCI, amd, arm);
        PlatformMatcher m = Platforms.only(Platforms.parse("linux/amd64"));
        ContentCheck full = Images.check(provider(idx.blobs()), idx.target(), m);
        assertTrue(full.complete());
        assertEquals(5, full.required().size());
        Map<Digest, byte[]> lost = new HashMap<>(idx.blobs());
        lost.remove(amd.layers().get(1).digest());
        ContentCheck partial = Images.check(provider(lost), idx.target(), m);
        assertEquals(List.of(amd.layers().get(1).digest()), partial.missing().stream().map(Descriptor::digest).toList());
        assertEquals(4, partial.present().size());
        lost.remove(amd.target().digest());
        ContentCheck noManifest = Images.check(provider(lost), idx.target(), m);
        assertEquals(List.of(amd.target().digest()), noManifest.missing().stream().map(Descriptor::digest).toList());
        assertEquals(2, noManifest.required().size());
        ContentCheck nothing = Images.check(provider(Map.of()), idx.target(), m);
        assertEquals(List.of(idx.target()), nothing.missing());
        BerthException e = assertThrows(BerthException.class,
                () -> Images.check(provider(idx.blobs()), idx.target(), Platforms.only(Platforms.parse("linux/s390x"))));
        assertEquals(ErrorCategory.NOT_FOUND, e.category());
    }

    @Test
    void gcLabelsNameChildrenLikeContainerd() {
        BuiltImage img = image("amd64", null, 2);
        List<Descriptor> children = new ArrayList<>();
        children.add(img.configDescriptor());
        children.addAll(img.layers());
        Map<String, String> l = Images.childGcLabels(img.target(), children);
        assertEquals(img.configDescriptor().digest().toString(), l.get("containerd.io/gc.ref.content.config"));
        assertEquals(img.layers().get(1).digest().toString(), l.get("containerd.io/gc.ref.content.l.1"));
    }
}
