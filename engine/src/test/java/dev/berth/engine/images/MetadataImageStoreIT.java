package dev.berth.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.Platform;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetadataImageStoreIT {
    @TempDir
    Path tmp;
    private MetadataStore md;
    private MetadataImageStore store;
    private final Descriptor target = Descriptor.of(MediaTypes.OCI_INDEX, Digest.sha256("idx"), 321)
            .withAnnotations(Map.of("a", "b"));

    @BeforeEach
    void open() {
        md = MetadataStore.open(tmp.resolve("meta.db"));
        store = new MetadataImageStore(md, Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
    }

    @AfterEach
    void close() {
        md.close();
    }

    private static BerthException expect(ErrorCategory c, org.junit.jupiter.api.function.Executable e) {
        BerthException ex = assertThrows(BerthException.class, e);
        assertEquals(c, ex.category(), ex.getMessage());
        return ex;
    }

    @Test
    void createGetListDeleteSurviveReopen() {
        Image created = store.create(Image.of("docker.io/library/busybox:latest", target).withLabels(Map.of("k", "v")));
        assertEquals(Instant.parse("2026-01-02T03:04:05Z"), created.createdAt());
        store.create(Image.of("a:1", target));
        md.close();
        md = MetadataStore.open(tmp.resolve("meta.db"));
        store = new MetadataImageStore(md, Clock.systemUTC());
        Image got = store.get("docker.io/library/busybox:latest");
        assertEquals(target, got.target());
        assertEquals(Map.of("k", "v"), got.labels());
        assertEquals(List.of("a:1", "docker.io/library/busybox:latest"), store.list().stream().map(Image::name).toList());
        assertEquals(List.of("a:1"), store.list(i -> i.labels().isEmpty()).stream().map(Image::name).toList());
        store.delete("a:1");
        expect(ErrorCategory.NOT_FOUND, () -> store.get("a:1"));
        expect(ErrorCategory.NOT_FOUND, () -> store.delete("a:1"));
        assertTrue(store.find("a:1").isEmpty());
    }

    @Test
    void createTwiceIsAlreadyExistsAndPutReplaces() {
        store.create(Image.of("x:1", target));
        expect(ErrorCategory.ALREADY_EXISTS, () -> store.create(Image.of("x:1", target)));
        Descriptor other = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256("m"), 10)
                .withPlatform(Platform.of("linux", "arm64", null));
        Image put = store.put(Image.of("x:1", other));
        assertEquals(other, put.target());
        assertEquals(other, store.get("x:1").target());
    }

    @Test
    void updateByFieldPaths() {
        store.create(Image.of("x:1", target).withLabels(Map.of("a", "1", "b", "2")));
        Image u = store.update(Image.of("x:1", null).withLabels(Map.of("a", "9")), Set.of("labels.a", "labels.b"));
        assertEquals(Map.of("a", "9"), u.labels());
        assertEquals(target, u.target());
        Image u2 = store.update(Image.of("x:1", target).withLabels(Map.of("c", "3")), Set.of("labels"));
        assertEquals(Map.of("c", "3"), u2.labels());
        expect(ErrorCategory.INVALID_ARGUMENT, () -> store.update(Image.of("x:1", target), Set.of("name")));
        expect(ErrorCategory.NOT_FOUND, () -> store.update(Image.of("y:1", target), Set.of()));
    }

    @Test
    void invalidRecordsAreRefused() {
        expect(ErrorCategory.INVALID_ARGUMENT, () -> store.create(Image.of("", target)));
        expect(ErrorCategory.INVALID_ARGUMENT, () -> store.create(Image.of("a b", target)));
        expect(ErrorCategory.INVALID_ARGUMENT, () -> store.create(Image.of("x:1", null)));
        expect(ErrorCategory.INVALID_ARGUMENT, () -> store.create(Image.of("x:1", target).withLabels(Map.of("k", "v".repeat(5000)))));
        assertTrue(store.list().isEmpty());
    }
}
