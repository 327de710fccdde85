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
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class ObjectStoreTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path tmp;

    static ObjectNode container(String name, String image) {
        return (ObjectNode) JSON.readTree("""
                {"apiVersion":"berth.dev/v1alpha1","kind":"Container",
                 "metadata":{"name":"%s","namespace":"default","labels":{"app":"x"}},
                 "spec":{"image":"%s"},"status":{"phase":"ignored"}}""".formatted(name, image));
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
            assertTrue(created.status().isMissingNode(), "status from the applied file is dropped");

            assertEquals(ObjectStore.ApplyOutcome.UNCHANGED, s.apply(container("web", "busybox"), "file:a.yaml", false));
            s.updateStatus(k, JSON.readTree("{\"phase\":\"Running\"}"));
            StoredObject withStatus = s.get(k).orElseThrow();
            assertEquals(1, withStatus.generation());
            assertTrue(withStatus.resourceVersion() > created.resourceVersion());
            assertEquals("Running", withStatus.status().path("phase").asText());

            assertEquals(ObjectStore.ApplyOutcome.CONFIGURED, s.apply(container("web", "nginx"), "file:a.yaml", false));
            StoredObject changed = s.get(k).orElseThrow();
            assertEquals(2, changed.generation());
            assertEquals("Running", changed.status().path("phase").asText(), "apply keeps the status");
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
    void numbersOfAnotherJsonTypeAreNotAChange() {
        // a decoded spec holds longs, what reads back from the database holds ints: still unchanged
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            ObjectNode o = container("web", "busybox");
            ((ObjectNode) o.get("spec")).put("pids", 32L);
            s.apply(o, "api", false);
            ObjectNode again = container("web", "busybox");
            ((ObjectNode) again.get("spec")).put("pids", 32L);
            assertEquals(ObjectStore.ApplyOutcome.UNCHANGED, s.apply(again, "api", false));
            ObjectRef k = new ObjectRef("Container", "default", "web");
            ObjectNode status = JSON.createObjectNode().put("restartCount", 0L);
            s.updateStatus(k, status);
            long rv = s.get(k).orElseThrow().resourceVersion();
            s.updateStatus(k, JSON.createObjectNode().put("restartCount", 0L));
            assertEquals(rv, s.get(k).orElseThrow().resourceVersion(), "an equal status is not rewritten");
        }
    }
    @Test
    void statusWritesTellWhetherTheObjectChangedSinceItWasRead() {
        ObjectRef k = new ObjectRef("Container", "default", "web");
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            s.apply(container("web", "busybox"), "api", false);
            long read = s.get(k).orElseThrow().resourceVersion();
            ObjectStore.StatusUpdate u = s.updateStatus(k, "{\"phase\":\"Running\"}", read).orElseThrow();
            assertTrue(u.onBase());
            assertTrue(u.object().resourceVersion() > read);
            long afterStatus = u.object().resourceVersion();
            assertTrue(s.updateStatus(k, "{\"phase\":\"Running\"}", afterStatus).orElseThrow().onBase());
            assertEquals(afterStatus, s.get(k).orElseThrow().resourceVersion(), "an equal status text is no write");

            s.apply(container("web", "nginx"), "api", false);
            ObjectStore.StatusUpdate stale = s.updateStatus(k, "{\"phase\":\"Pending\"}", afterStatus).orElseThrow();
            assertFalse(stale.onBase(), "the spec changed after the caller read it");
            assertEquals("nginx", stale.object().spec().path("image").asString());
            assertTrue(s.updateStatus(new ObjectRef("Container", "default", "nope"), "{}", 0).isEmpty());
        }
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore s = new ObjectStore(db, Clock.systemUTC());
            StoredObject again = s.get(k).orElseThrow();
            assertEquals("Pending", again.status().path("phase").asString(), "memory and database agree after reopen");
            assertEquals("nginx", again.spec().path("image").asString());
            assertEquals(List.of(k), s.list("Container").stream().map(StoredObject::key).toList());
            assertTrue(s.list("Image").isEmpty());
            assertEquals(1, s.list(null).size());
        }
    }
}
