package dev.berth.controller.queue;

import dev.berth.engine.testing.FakeClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
    private final FakeClock clock = new FakeClock();
    private final WorkQueue<String> q = new WorkQueue<>(clock,
            new ExponentialRateLimiter<>(Duration.ofMillis(10), Duration.ofMinutes(5), 0.0, () -> 0.5));

    private List<String> drain() {
        List<String> out = new ArrayList<>();
        String s;
        while ((s = q.poll()) != null) {
            out.add(s);
            q.done(s);
        }
        return out;
    }

    @Test
    void fifoAndDeduplicated() {
        q.add("a");
        q.add("b");
        q.add("a");
        q.add("c");
        q.add("b");
        assertEquals(3, q.length());
        assertEquals(List.of("a", "b", "c"), drain());
    }

    @Test
    void anItemAddedWhileProcessingComesBackAfterDoneNotBefore() {
        q.add("a");
        String taken = q.poll();
        assertEquals("a", taken);
        q.add("a");
        q.add("a");
        assertNull(q.poll(), "never two workers on one item");
        assertEquals(0, q.length());
        q.done("a");
        assertEquals("a", q.poll(), "re-queued once after done");
        q.done("a");
        assertNull(q.poll());
    }

    @Test
    void doneWithoutReAddDoesNotRequeue() {
        q.add("a");
        q.done(q.poll());
        assertNull(q.poll());
        assertEquals(0, q.inFlight());
    }

    @Test
    void addAfterWaitsForTheClockAndKeepsTheEarliestTime() {
        q.addAfter("a", Duration.ofSeconds(30));
        q.addAfter("a", Duration.ofSeconds(60));
        q.addAfter("b", Duration.ofSeconds(10));
        assertNull(q.poll());
        assertEquals(2, q.delayedCount());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(List.of("b"), drain());
        clock.advance(Duration.ofSeconds(19));
        assertEquals(List.of(), drain());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(List.of("a"), drain());
        clock.advance(Duration.ofSeconds(60));
        assertEquals(List.of(), drain(), "the later duplicate was dropped");
        assertEquals(0, q.delayedCount());
    }

    @Test
    void anEarlierDelayedAddWins() {
        q.addAfter("a", Duration.ofSeconds(60));
        q.addAfter("a", Duration.ofSeconds(5));
        clock.advance(Duration.ofSeconds(5));
        assertEquals(List.of("a"), drain());
        clock.advance(Duration.ofSeconds(60));
        assertEquals(List.of(), drain());
    }

    @Test
    void zeroDelayAddsAtOnceAndDelayedItemsDeduplicateWithQueuedOnes() {
        q.addAfter("a", Duration.ZERO);
        q.add("b");
        q.addAfter("b", Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(List.of("a", "b"), drain());
    }

    @Test
    void rateLimitedAddsBackOffExponentiallyUntilForgotten() {
        List<Duration> delays = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            delays.add(q.addRateLimited("a"));
        }
        assertEquals(List.of(10L, 20L, 40L, 80L, 160L), delays.stream().map(Duration::toMillis).toList());
        assertEquals(5, q.numRequeues("a"));
        q.forget("a");
        assertEquals(0, q.numRequeues("a"));
        assertEquals(Duration.ofMillis(10), q.addRateLimited("a"));
    }

    @Test
    void blockedGetIsWokenByAddAndByClockMoves() throws Exception {
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            try {
                return q.get();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        q.add("x");
        assertEquals("x", got.get(30, TimeUnit.SECONDS));
        q.done("x");

        q.addAfter("later", Duration.ofHours(1));
        CompletableFuture<String> delayed = CompletableFuture.supplyAsync(() -> {
            try {
                return q.get();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        clock.advance(Duration.ofHours(1));
        q.wake();
        assertEquals("later", delayed.get(30, TimeUnit.SECONDS));
    }

    @Test
    void getWithTimeoutReturnsNullWhenNothingComes() throws Exception {
        assertNull(q.get(Duration.ofMillis(1)));
    }

    @Test
    void shutdownHandsOutQueuedItemsThenNull() throws Exception {
        q.add("a");
        q.addAfter("b", Duration.ofSeconds(1));
        q.shutDown();
        q.add("c");
        assertTrue(q.isShuttingDown());
        assertEquals("a", q.get());
        q.done("a");
        clock.advance(Duration.ofSeconds(5));
        assertNull(q.get(), "delayed items are dropped and adds ignored after shutdown");
    }

    @Test
    void shutdownWithDrainWaitsForItemsInFlight() throws Exception {
        q.add("a");
        String a = q.poll();
        assertFalse(q.shutDownWithDrain(Duration.ofMillis(1)), "a is still in flight");
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
            try {
                return q.shutDownWithDrain(Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        q.done(a);
        assertTrue(drained.get(30, TimeUnit.SECONDS));
    }
}
