package dev.berth.engine.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.gc.GcResult.Kind;
import dev.berth.engine.gc.GcResult.Removed;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.leases.Lease;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.snapshots.registry.Snapshotters;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Mark and sweep on a real store: content, image records, overlay snapshots, leases, ingests. */
class GarbageCollectorIT {
    private static final String SN = "overlayfs";
    private GcFixture f;

    @BeforeEach
    void open() throws Exception {
        f = new GcFixture();
    }

    @AfterEach
    void close() {
        f.close();
    }

    private static Set<String> names(GcResult r, Kind k) {
        return r.of(k).stream().map(Removed::name).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void blobsOfARemovedImageGoSharedLayersStay() {
        LayerBuilder shared = GcFixture.layer("shared");
        BuiltImage a = GcFixture.image(shared, GcFixture.layer("only a"));
        BuiltImage b = GcFixture.image(shared, GcFixture.layer("only b"));
        f.store("test/a:1", a);
        f.store("test/b:1", b);
        assertTrue(f.engine.gc().collect(false).removed().isEmpty(), "nothing is garbage while both images exist");

        f.engine.images().delete("test/a:1");
        GcResult r = f.engine.gc().collect(false);

        Set<String> onlyA = new TreeSet<>(GcFixture.digests(a));
        onlyA.removeAll(GcFixture.digests(b));
        assertEquals(onlyA, names(r, Kind.CONTENT));
        assertEquals(GcFixture.digests(b), f.blobs());
        long bytes = a.blobs().entrySet().stream().filter(e -> onlyA.contains(e.getKey().toString()))
                .mapToLong(e -> e.getValue().length).sum();
        assertEquals(bytes, r.bytes(), "sizes reported are the blobs' sizes");
        assertEquals(List.of(), r.failures());
        Images.resolve(f.engine.content(), b.target(), Platforms.all());
    }

    @Test
    void dryRunReportsButRemovesNothing() {
        BuiltImage a = GcFixture.image(GcFixture.layer("dry"));
        f.store("test/a:1", a);
        f.engine.images().delete("test/a:1");
        Set<String> before = f.blobs();

        GcResult dry = f.engine.gc().collect(true);
        assertTrue(dry.dryRun());
        assertEquals(GcFixture.digests(a), names(dry, Kind.CONTENT));
        assertEquals(before, f.blobs(), "a dry run deletes nothing");

        GcResult real = f.engine.gc().collect(false);
        assertEquals(names(dry, Kind.CONTENT), names(real, Kind.CONTENT));
        assertEquals(Set.of(), f.blobs());
    }

    @Test
    void unreferencedCommittedSnapshotsGoChildrenFirstSharedParentsStay() {
        LayerBuilder base = GcFixture.layer("base");
        BuiltImage deep = GcFixture.image(base, GcFixture.layer("two"), GcFixture.layer("three"));
        BuiltImage other = GcFixture.image(base);
        f.store("test/deep:1", deep);
        f.store("test/other:1", other);
        f.engine.unpacker().unpack("test/deep:1", SN, Platforms.all());
        f.engine.unpacker().unpack("test/other:1", SN, Platforms.all());
        List<Digest> chain = Images.chainIds(deep.diffIds());
        assertEquals(3, f.snapshots(SN).size());

        f.engine.images().delete("test/deep:1");
        GcResult r = f.engine.gc().collect(false);

        List<String> removedSnapshots = r.of(Kind.SNAPSHOT).stream().map(Removed::name).toList();
        assertEquals(List.of(chain.get(2).toString(), chain.get(1).toString()), removedSnapshots, "children first");
        assertEquals(List.of(chain.get(0).toString()), f.snapshots(SN), "the base layer is other's snapshot");
        assertTrue(r.of(Kind.SNAPSHOT).stream().allMatch(s -> s.size() > 0 && SN.equals(s.snapshotter())));
        assertEquals(List.of(), r.failures());

        f.engine.images().delete("test/other:1");
        f.engine.gc().collect(false);
        assertEquals(List.of(), f.snapshots(SN));
        assertEquals(Set.of(), f.blobs());
    }

    @Test
    void aContainersActiveSnapshotKeepsItsParents() {
        BuiltImage a = GcFixture.image(GcFixture.layer("one"), GcFixture.layer("two"));
        f.store("test/a:1", a);
        f.engine.unpacker().unpack("test/a:1", SN, Platforms.all());
        String top = Images.chainId(a.diffIds()).toString();
        f.engine.snapshotters().get(SN).prepare("ctr-rootfs-1", top, Map.of());
        f.engine.images().delete("test/a:1");

        GcResult r = f.engine.gc().collect(false);
        assertEquals(GcFixture.digests(a), names(r, Kind.CONTENT), "the blobs go: nothing references them");
        assertEquals(List.of(), r.of(Kind.SNAPSHOT));
        assertEquals(3, f.snapshots(SN).size());

        f.engine.snapshotters().get(SN).remove("ctr-rootfs-1");
        GcResult after = f.engine.gc().collect(false);
        assertEquals(2, after.of(Kind.SNAPSHOT).size());
        assertEquals(List.of(), f.snapshots(SN));
    }

    @Test
    void rootLabelsAndLabelReferencesKeepObjects() {
        BuiltImage a = GcFixture.image(GcFixture.layer("rooted"));
        BuiltImage b = GcFixture.image(GcFixture.layer("referenced by a label"));
        a.writeTo(f.engine.content());
        b.writeTo(f.engine.content());
        f.engine.content().setLabel(a.configDescriptor().digest(), GcLabels.ROOT, "2026-01-01T00:00:00Z");
        f.engine.content().setLabel(a.configDescriptor().digest(), GcLabels.REF_CONTENT + ".extra",
                b.layers().get(0).digest().toString());

        GcResult r = f.engine.gc().collect(false);
        assertEquals(Set.of(a.configDescriptor().digest().toString(), b.layers().get(0).digest().toString()), f.blobs());
        assertFalse(names(r, Kind.CONTENT).contains(a.configDescriptor().digest().toString()));
    }

    @Test
    void leasesHoldUntilTheyExpireOrGo() {
        BuiltImage a = GcFixture.image(GcFixture.layer("leased"));
        f.store("test/a:1", a);
        f.engine.images().delete("test/a:1");
        f.engine.leases().create("keep", Map.of());
        f.engine.leases().addResource("keep", LeaseResource.content(a.target().digest()));
        f.engine.leases().create("old", Map.of(Lease.EXPIRE_LABEL, "2001-01-01T00:00:00Z"));
        f.engine.leases().addResource("old", LeaseResource.content(a.target().digest()));

        GcResult r = f.engine.gc().collect(false);
        assertEquals(Set.of("old"), names(r, Kind.LEASE));
        assertEquals(GcFixture.digests(a), f.blobs(), "the live lease holds the manifest, its labels the rest");

        f.engine.leases().create("flat", Map.of(Lease.FLAT_LABEL, "true"));
        f.engine.leases().addResource("flat", LeaseResource.content(a.target().digest()));
        f.engine.leases().delete("keep");
        f.engine.gc().collect(false);
        assertEquals(Set.of(a.target().digest().toString()), f.blobs(), "a flat lease does not follow labels");
    }

    @Test
    void staleIngestsGoLeasedAndFreshOnesStay() {
        for (String ref : List.of("stale-1", "leased-1")) {
            try (ContentWriter w = f.engine.content().writer(ref)) {
                w.write("partial".getBytes(StandardCharsets.UTF_8), 0, 7);
            }
        }
        f.engine.leases().create("ingest-lease", Map.of());
        f.engine.leases().addResource("ingest-lease", LeaseResource.ingest("leased-1"));
        assertEquals(List.of(), f.engine.gc().collect(false).of(Kind.INGEST), "fresh ingests stay");

        GarbageCollector later = new GarbageCollector(f.engine.metadata(), f.engine.content(), f.engine.images(),
                Snapshotters.NAMES, f.engine.snapshotters()::get, f.engine.leases(),
                Clock.offset(Clock.systemUTC(), Duration.ofHours(25)), GarbageCollector.DEFAULT_INGEST_MAX_AGE);
        GcResult r = later.collect(false);
        assertEquals(Set.of("stale-1"), names(r, Kind.INGEST));
        assertEquals(7, r.of(Kind.INGEST).get(0).size());
        assertEquals(List.of("leased-1"), f.engine.content().statuses().stream().map(s -> s.ref()).toList());
    }

    @Test
    void anInterruptedUnpacksExtractSnapshotIsCollectedOnceItsLeaseIsGone() {
        f.engine.snapshotters().get(SN).prepare("extract-dead sha256:00", null,
                Map.of(GarbageCollector.EXTRACT_LABEL, "sha256:00"));
        f.engine.snapshotters().get(SN).prepare("container-rootfs", null, Map.of());
        f.engine.leases().create("unpack-1", Map.of());
        f.engine.leases().addResource("unpack-1", LeaseResource.snapshot(SN, "extract-dead sha256:00"));
        assertEquals(List.of(), f.engine.gc().collect(false).of(Kind.SNAPSHOT));
        f.engine.leases().delete("unpack-1");
        GcResult r = f.engine.gc().collect(false);
        assertEquals(Set.of("extract-dead sha256:00"), names(r, Kind.SNAPSHOT));
        assertEquals(List.of("container-rootfs"), f.snapshots(SN));
    }
}
