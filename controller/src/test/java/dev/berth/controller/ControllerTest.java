package dev.berth.controller;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.berth.controller.events.EventRecorder;
import dev.berth.controller.store.ObjectStore;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageStatus;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The controller's reuse of decoded objects between reconciles: an unchanged object comes back as
 * the same instance, any other change (including one racing with the reconcile) gives a fresh decode.
 */
class ControllerTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ObjectRef KEY = new ObjectRef("Image", "default", "web");

    @TempDir
    Path tmp;

    /** Records each object it gets and writes the ref it saw into status.digest. */
    static final class Recording implements Reconciler<Image> {
        final List<Image> seen = new CopyOnWriteArrayList<>();
        volatile BiConsumer<Image, Integer> during = (i, n) -> { };

        @Override
        public Class<Image> kind() {
            return Image.class;
        }

        @Override
        public Result reconcile(Image image, Context context) {
            seen.add(image);
            ImageStatus st = image.getStatus() == null ? new ImageStatus() : image.getStatus();
            st.setDigest(image.getSpec().ref());
            image.setStatus(st);
            during.accept(image, seen.size());
            return Result.converged();
        }
    }

    static ObjectNode image(String ref) {
        return (ObjectNode) JSON.readTree("""
                {"apiVersion":"berth.dev/v1alpha1","kind":"Image",
                 "metadata":{"name":"web","namespace":"default"},
                 "spec":{"ref":"%s","pullPolicy":"Never"}}""".formatted(ref));
    }

    private static void awaitReconciles(Recording r, int n) {
        await().until(() -> r.seen.size() >= n);
    }

    @Test
    void anUnchangedObjectIsNotDecodedAgainButEveryChangeIs() {
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore store = new ObjectStore(db, Clock.systemUTC());
            Controller c = new Controller(store, new SpecCodec(), new EventRecorder(db, Clock.systemUTC()),
                    Clock.systemUTC(), 2);
            try {
                Recording r = new Recording();
                c.register(r);
                store.apply(image("busybox:1"), "api", false);
                awaitReconciles(r, 1);
                await().until(() -> "busybox:1".equals(store.get(KEY).orElseThrow().status().path("digest").asString()));
                long rv = store.get(KEY).orElseThrow().resourceVersion();

                c.enqueue(KEY);
                awaitReconciles(r, 2);
                assertSame(r.seen.get(0), r.seen.get(1), "nothing changed: the same decoded instance");
                await().until(() -> c.queueDepth() == 0);
                assertEquals(rv, store.get(KEY).orElseThrow().resourceVersion(), "an equal status is not rewritten");

                // a spec change: a fresh decode with the new spec
                store.apply(image("busybox:2"), "api", false);
                awaitReconciles(r, 3);
                assertNotSame(r.seen.get(1), r.seen.get(2));
                assertEquals("busybox:2", r.seen.get(2).getSpec().ref());

                // a change that lands while the reconcile runs: its status write comes after it, and the
                // instance (decoded before the change) must not be reused
                AtomicInteger raced = new AtomicInteger();
                r.during = (img, n) -> {
                    if (raced.compareAndSet(0, 1)) {
                        store.apply(image("busybox:3"), "api", false);
                    }
                };
                c.enqueue(KEY);
                await().until(() -> r.seen.stream().anyMatch(i -> "busybox:3".equals(i.getSpec().ref())));
                Image last = r.seen.get(r.seen.size() - 1);
                assertEquals("busybox:3", last.getSpec().ref());
                await().until(() -> "busybox:3".equals(store.get(KEY).orElseThrow().status().path("digest").asString()));

                // a status written by someone else (e.g. restored from Kubernetes) is a change too
                int before = r.seen.size();
                store.updateStatus(KEY, "{\"digest\":\"elsewhere\"}");
                c.enqueue(KEY);
                awaitReconciles(r, before + 1);
                assertNotSame(last, r.seen.get(before));
            } finally {
                c.close();
            }
        }
    }
}
