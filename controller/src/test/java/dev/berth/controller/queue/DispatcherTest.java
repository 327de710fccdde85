package dev.berth.controller.queue;

import dev.berth.engine.testing.FakeClock;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.reconcilers.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class DispatcherTest {
    private static final ObjectRef IMAGE = ObjectRef.parse("Image/busybox");
    private static final ObjectRef WEB = ObjectRef.parse("Container/web");
    private static final ObjectRef DB = ObjectRef.parse("Container/db");

    private final FakeClock clock = new FakeClock();
    private final WorkQueue<ObjectRef> queue = new WorkQueue<>(clock,
            new ExponentialRateLimiter<>(Duration.ofMillis(10), Duration.ofMinutes(5), 0.0, () -> 0));
    private final List<Integer> retriesSeen = new CopyOnWriteArrayList<>();

    private Dispatcher manual(Function<ObjectRef, Result> behaviour) {
        return Dispatcher.builder(queue, (key, ctx) -> {
            retriesSeen.add(ctx.retries());
            assertTrue(ctx.clock() == clock);
            return behaviour.apply(key);
        }).clock(clock).build();
    }

    /** Takes the next ready key and runs it through the dispatcher, as a worker would. */
    private ObjectRef step(Dispatcher d) {
        ObjectRef k = queue.poll();
        if (k != null) {
            try {
                d.processOne(k);
            } finally {
                queue.done(k);
            }
        }
        return k;
    }

    @Test
    void requeueAfterComesBackWhenTheClockSaysSo() {
        Dispatcher d = manual(k -> Result.requeueAfter(Duration.ofSeconds(30)));
        d.enqueue(WEB);
        assertEquals(WEB, step(d));
        assertNull(step(d));
        clock.advance(Duration.ofSeconds(29));
        assertNull(step(d));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(WEB, step(d));
    }

    @Test
    void failuresBackOffAndSuccessResetsTheCount() {
        AtomicInteger calls = new AtomicInteger();
        Dispatcher d = manual(k -> {
            if (calls.incrementAndGet() <= 3) {
                throw BerthException.unavailable("registry 127.0.0.1:1 refused the connection");
            }
            return Result.converged();
        });
        d.enqueue(WEB);
        step(d);
        for (long ms : new long[] {10, 20, 40}) {
            clock.advance(Duration.ofMillis(ms - 1));
            assertNull(step(d), "not before " + ms + " ms");
            clock.advance(Duration.ofMillis(1));
            assertEquals(WEB, step(d));
        }
        assertEquals(List.of(0, 1, 2, 3), retriesSeen, "context carries the retry count");
        assertEquals(0, queue.numRequeues(WEB), "converged forgets the failures");
    }

    @Test
    void permanentErrorsAreNotRetried() {
        Dispatcher d = manual(k -> {
            throw BerthException.invalid("Container web: spec.image: names no Image");
        });
        d.enqueue(WEB);
        step(d);
        clock.advance(Duration.ofHours(1));
        assertNull(step(d));
        assertEquals(0, queue.delayedCount());
    }

    @Test
    void waitersAreWokenWhenTheirDependencyConverges() {
        Map<ObjectRef, Result> next = new ConcurrentHashMap<>(Map.of(
                WEB, Result.waitingFor(IMAGE), DB, Result.waitingFor(IMAGE), IMAGE, Result.requeueAfter(Duration.ofSeconds(1))));
        List<ObjectRef> order = new ArrayList<>();
        Dispatcher d = manual(k -> {
            order.add(k);
            return next.get(k);
        });
        d.enqueue(WEB);
        d.enqueue(DB);
        d.enqueue(IMAGE);
        while (step(d) != null) {
            // run what is ready
        }
        assertEquals(2, d.waitingCount());
        clock.advance(Duration.ofHours(1));
        next.put(IMAGE, Result.converged());
        next.put(WEB, Result.converged());
        next.put(DB, Result.converged());
        while (step(d) != null) {
            // the image converges, then both containers run again without any delay
        }
        assertEquals(List.of(WEB, DB, IMAGE, IMAGE, WEB, DB), order);
        assertEquals(0, d.waitingCount());
    }

    @Test
    void waitingForAnAlreadyConvergedDependencyLooksAgainWithBackoff() {
        Map<ObjectRef, Result> next = new ConcurrentHashMap<>(Map.of(IMAGE, Result.converged(), WEB, Result.waitingFor(IMAGE)));
        Dispatcher d = manual(next::get);
        d.enqueue(IMAGE);
        step(d);
        d.enqueue(WEB);
        step(d);
        assertNull(step(d));
        clock.advance(Duration.ofMillis(10));
        assertEquals(WEB, step(d), "no lost wake-up when the dependency converged first");
        clock.advance(Duration.ofMillis(19));
        assertNull(step(d), "a reconciler that keeps disagreeing with its dependency backs off");
        clock.advance(Duration.ofMillis(1));
        assertEquals(WEB, step(d));
        next.put(WEB, Result.converged());
        clock.advance(Duration.ofMillis(40));
        assertEquals(WEB, step(d));
        assertEquals(0, queue.numRequeues(WEB));
    }

    @Test
    void manyKeysManyProducersOneReconcilePerKeyAtATime() throws Exception {
        int keys = 200;
        Map<ObjectRef, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        Map<ObjectRef, AtomicLong> version = new ConcurrentHashMap<>();
        Map<ObjectRef, AtomicLong> seen = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger reconciles = new AtomicInteger();
        List<ObjectRef> refs = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            ObjectRef r = new ObjectRef("Container", "ns" + (i % 3), "c" + i);
            refs.add(r);
            inFlight.put(r, new AtomicInteger());
            version.put(r, new AtomicLong());
            seen.put(r, new AtomicLong(-1));
        }
        CyclicBarrier both = new CyclicBarrier(2);
        ObjectRef a = refs.get(0);
        ObjectRef b = refs.get(1);
        Dispatcher d = Dispatcher.builder(queue, (key, ctx) -> {
            if (inFlight.get(key).incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            long v = version.get(key).get();
            if ((key.equals(a) || key.equals(b)) && seen.get(key).get() < 0) {
                both.await(30, TimeUnit.SECONDS);   // proves two different keys run at once
            }
            Thread.yield();
            seen.get(key).accumulateAndGet(v, Math::max);
            reconciles.incrementAndGet();
            inFlight.get(key).decrementAndGet();
            return Result.converged();
        }).workers(4).clock(clock).start();
        try {
            d.enqueue(a);
            d.enqueue(b);
            int producers = 4;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int round = 0; round < 10; round++) {
                        for (ObjectRef r : refs) {
                            version.get(r).incrementAndGet();
                            d.enqueue(r);
                        }
                    }
                });
                threads.add(t);
                t.start();
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            await().atMost(Duration.ofMinutes(1)).until(() -> refs.stream()
                    .allMatch(r -> seen.get(r).get() == version.get(r).get()));
            await().atMost(Duration.ofMinutes(1)).until(() -> queue.length() == 0 && queue.inFlight() == 0);
            assertEquals(0, overlaps.get(), "a key was reconciled by two workers at once");
            assertTrue(reconciles.get() <= keys * producers * 10 + 2, "deduplicated: " + reconciles.get());
            assertTrue(reconciles.get() >= keys, reconciles.get() + " reconciles");
        } finally {
            assertTrue(d.close(Duration.ofSeconds(30)), "workers ended");
        }
    }

    @Test
    void closeLetsTheReconcileInFlightFinish() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Dispatcher d = Dispatcher.builder(queue, (key, ctx) -> {
            started.countDown();
            release.await(30, TimeUnit.SECONDS);
            finished.incrementAndGet();
            return Result.converged();
        }).workers(2).start();
        d.enqueue(WEB);
        assertTrue(started.await(30, TimeUnit.SECONDS));
        Thread closer = new Thread(d::close);
        closer.start();
        release.countDown();
        closer.join(60_000);
        assertEquals(1, finished.get());
        assertTrue(queue.isShuttingDown());
        d.enqueue(DB);
        assertNull(queue.poll(), "no work accepted after close");
    }
}
