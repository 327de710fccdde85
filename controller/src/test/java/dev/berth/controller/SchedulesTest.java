package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SchedulesTest {
    @Test
    void aTimerRunsWhenDueNotBeforeAndNotWhenNothingIsDue() throws Exception {
        try (Schedules s = new Schedules()) {
            AtomicReference<Optional<Duration>> due = new AtomicReference<>(Optional.empty());
            AtomicInteger runs = new AtomicInteger();
            Semaphore ran = new Semaphore(0);
            Schedules.Timer t = s.timer("t", () -> {
                Optional<Duration> d = due.get();
                return d;
            }, () -> {
                runs.incrementAndGet();
                // a run consumes what was due, as a collection consumes its triggers
                due.set(Optional.empty());
                ran.release();
            });
            Thread.sleep(300);
            assertEquals(0, runs.get(), "nothing due: no run");

            due.set(Optional.of(Duration.ofMillis(200)));
            long armed = System.nanoTime();
            t.rearm();
            assertTrue(ran.tryAcquire(5, TimeUnit.SECONDS), "ran once due");
            assertTrue(System.nanoTime() - armed >= TimeUnit.MILLISECONDS.toNanos(190), "not before it was due");
            Thread.sleep(300);
            assertEquals(1, runs.get(), "once per arming");
        }
    }

    @Test
    void rearmingEarlierMovesTheRunForwardAndLaterKeepsTheEarlierTime() throws Exception {
        try (Schedules s = new Schedules()) {
            AtomicReference<Optional<Duration>> due = new AtomicReference<>(Optional.of(Duration.ofSeconds(60)));
            Semaphore ran = new Semaphore(0);
            Schedules.Timer t = s.timer("t", due::get, () -> {
                due.set(Optional.empty());
                ran.release();
            });
            due.set(Optional.of(Duration.ofMillis(100)));
            t.rearm();
            assertTrue(ran.tryAcquire(5, TimeUnit.SECONDS), "the earlier time wins");

            due.set(Optional.of(Duration.ofMillis(300)));
            t.rearm();
            due.set(Optional.of(Duration.ofSeconds(60)));
            t.rearm();
            assertTrue(ran.tryAcquire(5, TimeUnit.SECONDS), "a later due time does not push back an armed one");
        }
    }

    @Test
    void aRearmWhileItRunsIsNotLostToTheTriggerThatIsFiring() throws Exception {
        try (Schedules s = new Schedules()) {
            AtomicReference<Optional<Duration>> due = new AtomicReference<>(Optional.of(Duration.ofMillis(50)));
            AtomicReference<Schedules.Timer> timer = new AtomicReference<>();
            AtomicInteger runs = new AtomicInteger();
            Semaphore ran = new Semaphore(0);
            timer.set(s.timer("t", due::get, () -> {
                if (runs.incrementAndGet() == 1) {
                    // a trigger arrives during the run (a store change), then the run consumes what was due
                    due.set(Optional.of(Duration.ofMillis(200)));
                    while (timer.get() == null) {
                        Thread.onSpinWait();
                    }
                    timer.get().rearm();
                    due.set(Optional.empty());
                }
                ran.release();
            }));
            assertTrue(ran.tryAcquire(5, TimeUnit.SECONDS), "first run");
            assertTrue(ran.tryAcquire(5, TimeUnit.SECONDS), "the run armed during the first one");
        }
    }
}
