package dev.berth.controller;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.events.EventRecorder;
import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.status.Condition;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Outcome;
import dev.berth.reconcilers.Readiness;
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

/**
 * What a reconcile gets from the controller: the stored spec itself (nothing decoded), a status of
 * its own to edit, and every change (including one racing with the reconcile) on its next run.
 */
class ControllerTest {
    private static final SpecCodec CODEC = new SpecCodec();
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
        public Outcome<ImageStatus> reconcile(Image image, Context context) {
            seen.add(image);
            ImageStatus st = Outcome.startFrom(image.getStatus(), ImageStatus::new);
            st.setDigest(image.getSpec().ref());
            during.accept(image, seen.size());
            return Outcome.converged(st);
        }
    }

    static Image image(String ref) {
        return (Image) CODEC.read("t.yaml", """
                {"apiVersion":"berth.dev/v1alpha1","kind":"Image",
                 "metadata":{"name":"web","namespace":"default"},
                 "spec":{"ref":"%s","pullPolicy":"Never"}}""".formatted(ref)).get(0).object();
    }

    private static String digest(ObjectStore store) {
        ImageStatus s = store.get(KEY).orElseThrow().status(ImageStatus.class);
        return s == null ? null : s.getDigest();
    }

    private static void awaitReconciles(Recording r, int n) {
        await().until(() -> r.seen.size() >= n);
    }

    @Test
    void aReconcileSeesTheStoredSpecAndEditsItsOwnStatus() {
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore store = new ObjectStore(db, Clock.systemUTC());
            Controller c = new Controller(store, new EventRecorder(db, Clock.systemUTC()),
                    Clock.systemUTC(), 2);
            try {
                Recording r = new Recording();
                c.register(r);
                store.apply(image("busybox:1"), "api", false);
                awaitReconciles(r, 1);
                await().until(() -> "busybox:1".equals(digest(store)));
                long rv = store.get(KEY).orElseThrow().resourceVersion();

                c.enqueue(KEY);
                awaitReconciles(r, 2);
                StoredObject stored = store.get(KEY).orElseThrow();
                assertSame(stored.spec(), r.seen.get(1).getSpec(), "the stored spec itself: nothing decoded");
                assertNotSame(stored.status(), r.seen.get(1).getStatus(), "the status a reconcile is given is its own copy: a careless edit never reaches the store");
                assertEquals(stored.status(), r.seen.get(1).getStatus());
                await().until(() -> c.queueDepth() == 0);
                assertEquals(rv, store.get(KEY).orElseThrow().resourceVersion(), "an equal status is not rewritten");

                // a spec change: the next reconcile sees the new spec
                store.apply(image("busybox:2"), "api", false);
                awaitReconciles(r, 3);
                assertNotSame(r.seen.get(1), r.seen.get(2));
                assertEquals("busybox:2", r.seen.get(2).getSpec().ref());

                // a change that lands while the reconcile runs: its status write comes after it, and the
                // next reconcile sees the change
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
                await().until(() -> "busybox:3".equals(digest(store)));

                // a status written by someone else (e.g. restored from Kubernetes) is a change too
                int before = r.seen.size();
                ImageStatus elsewhere = new ImageStatus();
                elsewhere.setDigest("elsewhere");
                store.updateStatus(KEY, elsewhere);
                c.enqueue(KEY);
                awaitReconciles(r, before + 1);
                assertNotSame(last, r.seen.get(before));
                await().until(() -> "busybox:3".equals(digest(store)));
            } finally {
                c.close();
            }
        }
    }

    /** Fails with a status of its own on the first attempt, throws on the second, converges on the third. */
    static final class Failing implements Reconciler<Image> {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public Class<Image> kind() {
            return Image.class;
        }

        @Override
        public Outcome<ImageStatus> reconcile(Image image, Context context) {
            ImageStatus st = Outcome.startFrom(image.getStatus(), ImageStatus::new);
            int n = calls.incrementAndGet();
            if (n == 1) {
                st.setDigest("observed before the failure");
                Readiness.retrying("ErrImagePull", "registry down").applyTo(st, 1L, context.clock());
                return Outcome.failed(st, BerthException.unavailable("registry down"));
            }
            if (n == 2) {
                throw new IllegalStateException("second attempt breaks");
            }
            Readiness.ready("Pulled", "in the store").applyTo(st, 1L, context.clock());
            return Outcome.converged(st);
        }
    }

    @Test
    void aFailedOutcomeIsWrittenWithTheErrorAndRetried() {
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore store = new ObjectStore(db, Clock.systemUTC());
            Controller c = new Controller(store, new EventRecorder(db, Clock.systemUTC()), Clock.systemUTC(), 1);
            try {
                Failing r = new Failing();
                c.register(r);
                store.apply(image("busybox:1"), "api", false);
                // the retries with backoff end in a Ready image; every failure left its status behind
                await().atMost(java.time.Duration.ofSeconds(60)).until(() -> {
                    ImageStatus s = store.get(KEY).orElseThrow().status(ImageStatus.class);
                    return s != null && s.isReady();
                });
                assertEquals(3, r.calls.get());
                assertEquals(2, c.failureCount());
                ImageStatus s = store.get(KEY).orElseThrow().status(ImageStatus.class);
                assertEquals("observed before the failure", s.getDigest(), "a failed outcome's status is written");
                assertEquals("Pulled", s.condition(Condition.DEGRADED).orElseThrow().reason(),
                        "the converged reconcile clears Degraded");
            } finally {
                c.close();
            }
        }
    }

    @Test
    void aFirstReconcileThatThrowsStillShowsItsError() {
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore store = new ObjectStore(db, Clock.systemUTC());
            Controller c = new Controller(store, new EventRecorder(db, Clock.systemUTC()), Clock.systemUTC(), 1);
            try {
                c.register(new Reconciler<Image>() {
                    @Override
                    public Class<Image> kind() {
                        return Image.class;
                    }

                    @Override
                    public Outcome<ImageStatus> reconcile(Image image, Context context) {
                        throw BerthException.invalid("spec.ref: no such thing");
                    }
                });
                store.apply(image("busybox:1"), "api", false);
                await().atMost(java.time.Duration.ofSeconds(60)).until(() ->
                        store.get(KEY).orElseThrow().status(ImageStatus.class) != null);
                ImageStatus s = store.get(KEY).orElseThrow().status(ImageStatus.class);
                Condition degraded = s.condition(Condition.DEGRADED).orElseThrow();
                assertTrue(degraded.isTrue());
                assertEquals("InvalidArgument", degraded.reason());
                assertEquals("spec.ref: no such thing", degraded.message());
                assertFalse(s.isReady());
            } finally {
                c.close();
            }
        }
    }
}
