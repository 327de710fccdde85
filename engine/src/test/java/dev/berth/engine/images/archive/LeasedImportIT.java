package dev.berth.engine.images.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.gc.GcResult;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.leases.Lease;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A collection that runs each time an archive import holds a blob (after the earlier blobs are
 * committed) keeps the import's work when the holds reach the lease; when they are dropped, the same
 * collections break the import, which shows the test can fail.
 */
class LeasedImportIT {
    private Path tmp;
    private Engine engine;
    private final List<GcResult> collections = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        tmp = Files.createTempDirectory("berth-leased-import-");
        engine = Engine.open(Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString()));
    }

    @AfterEach
    void close() {
        engine.close();
        FileTree.deleteRecursively(tmp);
    }

    /** The engine's leases, collecting garbage after every add (which it forwards only when {@code forward}). */
    private LeaseManager collectingOnEachAdd(boolean forward) {
        LeaseManager real = engine.leases();
        return new LeaseManager() {
            @Override
            public Lease create(String id, Map<String, String> labels) {
                return real.create(id, labels);
            }

            @Override
            public List<String> releaseTemporary() {
                return real.releaseTemporary();
            }

            @Override
            public Held createTemporary(String prefix, Duration ttl) {
                Held h = real.createTemporary(prefix, ttl);
                return new Held() {
                    @Override
                    public Lease lease() {
                        return h.lease();
                    }

                    @Override
                    public void add(LeaseResource r) {
                        addResource(h.lease().id(), r);
                    }

                    @Override
                    public void close() {
                        h.close();
                    }
                };
            }

            @Override
            public Optional<Lease> find(String id) {
                return real.find(id);
            }

            @Override
            public List<Lease> list() {
                return real.list();
            }

            @Override
            public void delete(String id) {
                real.delete(id);
            }

            @Override
            public void addResource(String id, LeaseResource r) {
                if (forward) {
                    real.addResource(id, r);
                }
                collections.add(engine.gc().collect(false));
            }

            @Override
            public void deleteResource(String id, LeaseResource r) {
                real.deleteResource(id, r);
            }

            @Override
            public List<LeaseResource> resources(String id) {
                return real.resources(id);
            }

            @Override
            public <T> T frozen(Supplier<T> work) {
                return real.frozen(work);
            }
        };
    }

    private Path archive() {
        BuiltImage img = OciImageBuilder.busybox().build();
        Path tar = tmp.resolve("busybox.tar");
        img.writeLayoutTar(tar, "localhost/test/busybox:1");
        return tar;
    }

    @Test
    void aLeasedImportKeepsItsBlobsThroughCollections() {
        Path tar = archive();
        List<Image> imported = new ImageImporter(engine.content(), engine.images(), collectingOnEachAdd(true))
                .importFrom(tar, ImportOptions.defaults());
        assertTrue(collections.size() >= 3, "collections ran: " + collections.size());
        assertTrue(collections.stream().allMatch(r -> r.of(GcResult.Kind.CONTENT).isEmpty()), collections.toString());
        Images.resolve(engine.content(), imported.get(0).target(), Platforms.all());
        assertEquals(List.of(), engine.leases().list());
    }

    @Test
    void withoutTheLeaseTheSameCollectionsBreakTheImport() {
        Path tar = archive();
        assertThrows(BerthException.class, () -> new ImageImporter(engine.content(), engine.images(),
                collectingOnEachAdd(false)).importFrom(tar, ImportOptions.defaults()));
        assertTrue(collections.stream().anyMatch(r -> !r.of(GcResult.Kind.CONTENT).isEmpty()));
    }
}
