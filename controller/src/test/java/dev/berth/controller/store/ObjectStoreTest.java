package dev.berth.controller.store;

import dev.berth.crd.ObjectRef;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.metadata.MetadataStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.ContainerStatus;

class ObjectStoreTest {
    private static final SpecCodec CODEC = new SpecCodec();

    @TempDir
    Path tmp;

    /** A decoded Container, as a source hands it over, with a status the store must ignore. */
    static Container container(String name, String image) {
        return container(name, image, "");
    }

    static Container container(String name, String image, String extraSpec) {
        Container c = (Container) CODEC.read("t.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: %s, namespace: default, labels: {app: x}}
                spec: {image: %s%s}
                """.formatted(name, image, extraSpec)).get(0).object();
        c.setStatus(status(ContainerPhase.Running));
        return c;
    }

    static ContainerStatus status(ContainerPhase phase) {
        ContainerStatus s = new ContainerStatus();
        s.setPhase(phase);
        return s;
    }

    @Test
    void generationCountsSpecChangesOnly() {
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            List<ObjectStore.Event> events = new ArrayList<>();
            s.addListener(events::add);
            ObjectRef k = new ObjectRef("Container", "default", "web");

            assertEquals(ObjectStore.ApplyOutcome.CREATED, s.apply(container("web", "busybox"), "file:a.yaml", false));
            StoredObject created = s.get(k).orElseThrow();
            assertEquals(1, created.generation());
            assertEquals(null, created.status(), "status from the applied file is dropped");

            assertEquals(ObjectStore.ApplyOutcome.UNCHANGED, s.apply(container("web", "busybox"), "file:a.yaml", false));
            s.updateStatus(k, status(ContainerPhase.Running));
            StoredObject withStatus = s.get(k).orElseThrow();
            assertEquals(1, withStatus.generation());
            assertTrue(withStatus.resourceVersion() > created.resourceVersion());
            assertEquals(ContainerPhase.Running, withStatus.status(ContainerStatus.class).getPhase());

            assertEquals(ObjectStore.ApplyOutcome.CONFIGURED, s.apply(container("web", "nginx"), "file:a.yaml", false));
            StoredObject changed = s.get(k).orElseThrow();
            assertEquals(2, changed.generation());
            assertEquals(ContainerPhase.Running, changed.status(ContainerStatus.class).getPhase(), "apply keeps the status");
            assertEquals("nginx", changed.spec(ContainerSpec.class).image());
            assertEquals("x", changed.labels().get("app"));
            assertEquals(List.of(ObjectStore.Change.ADDED, ObjectStore.Change.MODIFIED, ObjectStore.Change.MODIFIED),
                    events.stream().map(ObjectStore.Event::change).toList());
        }
    }

    @Test
    void anotherSourceCannotTakeAnObjectSilently() {
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            s.apply(container("web", "busybox"), "file:a.yaml", false);
            BerthException e = assertThrows(BerthException.class,
                    () -> s.apply(container("web", "nginx"), "api", false));
            assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
            assertTrue(e.getMessage().contains("managed by file:a.yaml"), e.getMessage());
            assertEquals(ObjectStore.ApplyOutcome.CONFIGURED, s.apply(container("web", "nginx"), "api", true));
            assertEquals(1, s.listBySource("api").size());
            assertEquals(0, s.listBySource("file:a.yaml").size());
        }
    }

    @Test
    void deletionMarksThenRemovesAndSurvivesReopen() {
        ObjectRef k = new ObjectRef("Container", "default", "web");
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            s.apply(container("web", "busybox"), "api", false);
            assertTrue(s.requestDeletion(k));
            assertTrue(s.get(k).orElseThrow().deleting());
            assertThrows(BerthException.class, () -> s.apply(container("web", "busybox"), "api", false));
        }
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            assertTrue(s.get(k).orElseThrow().deleting(), "the deletion request survives a restart");
            s.remove(k);
            assertFalse(s.get(k).isPresent());
            assertFalse(s.requestDeletion(k));
        }
    }

    @Test
    void anEqualSpecOrStatusIsNotAChangeAlsoAfterReopen() {
        // decoded twice (and once read back from the database): equal records, no write
        ObjectRef k = new ObjectRef("Container", "default", "web");
        String pids = ", resources: {pids: 32, memory: 64Mi}";
        long rv;
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            s.apply(container("web", "busybox", pids), "api", false);
            assertEquals(ObjectStore.ApplyOutcome.UNCHANGED, s.apply(container("web", "busybox", pids), "api", false));
            ContainerStatus st = status(ContainerPhase.Stopped);
            st.setRestartCount(0);
            s.updateStatus(k, st);
            rv = s.get(k).orElseThrow().resourceVersion();
            ContainerStatus again = status(ContainerPhase.Stopped);
            again.setRestartCount(0);
            s.updateStatus(k, again);
            assertEquals(rv, s.get(k).orElseThrow().resourceVersion(), "an equal status is not rewritten");
            assertEquals(rv, s.resourceVersion());
        }
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            assertEquals(ObjectStore.ApplyOutcome.UNCHANGED, s.apply(container("web", "busybox", pids), "api", false));
            ContainerStatus again = status(ContainerPhase.Stopped);
            again.setRestartCount(0);
            s.updateStatus(k, again);
            assertEquals(rv, s.get(k).orElseThrow().resourceVersion(), "what reads back equals what was written");
            assertEquals(rv, s.resourceVersion());
        }
    }

    @Test
    void memoryAndDatabaseAgreeAfterReopen() {
        ObjectRef k = new ObjectRef("Container", "default", "web");
        StoredObject before;
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            s.apply(container("web", "busybox"), "api", false);
            s.updateStatus(k, status(ContainerPhase.Running));
            s.apply(container("web", "nginx"), "api", false);
            s.updateStatus(k, status(ContainerPhase.Pending));
            before = s.get(k).orElseThrow();
            assertEquals("nginx", before.spec(ContainerSpec.class).image());
            assertEquals(Long.toString(before.resourceVersion()), before.object().getMetadata().getResourceVersion());
            assertEquals(2L, before.object().getMetadata().getGeneration());
            assertTrue(s.updateStatus(new ObjectRef("Container", "default", "nope"), status(ContainerPhase.Pending)).isEmpty());
        }
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            StoredObject again = s.get(k).orElseThrow();
            assertEquals(ContainerPhase.Pending, again.status(ContainerStatus.class).getPhase(),
                    "memory and database agree after reopen");
            assertEquals("nginx", again.spec(ContainerSpec.class).image());
            assertEquals(before.spec(), again.spec());
            assertEquals(before.status(), again.status());
            assertEquals(before.object().getMetadata(), again.object().getMetadata());
            assertEquals(before.resourceVersion(), s.resourceVersion());
            assertEquals(List.of(k), s.list("Container").stream().map(StoredObject::key).toList());
            assertTrue(s.list("Image").isEmpty());
            assertEquals(1, s.list(null).size());
        }
    }
}
