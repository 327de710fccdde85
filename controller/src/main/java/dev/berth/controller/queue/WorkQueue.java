package dev.berth.controller.queue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A work queue with client-go's semantics, keyed by any value with equals/hashCode (the controller
 * uses {@code ObjectRef}: kind/namespace/name).
 * <ul>
 *   <li><b>Fair and stingy</b>: FIFO; an item added several times before a worker takes it is
 *       handed out once.</li>
 *   <li><b>One in flight per item</b>: between {@link #get} and {@link #done} an item is
 *       <i>processing</i>; adding it meanwhile marks it dirty, and {@link #done} puts it back at the
 *       end of the queue, so no change is lost and no item is handled by two workers at once.</li>
 *   <li><b>Delayed adds</b> ({@link #addAfter}): the item waits until the injected clock reaches its
 *       time; a second delayed add keeps the earlier time.</li>
 *   <li><b>Rate-limited adds</b> ({@link #addRateLimited}, {@link #forget}, {@link #numRequeues}):
 *       the delay comes from a {@link RateLimiter}, per-item exponential backoff by default.</li>
 *   <li><b>Shutdown</b>: {@link #shutDown} stops accepting adds and wakes waiting workers; items
 *       already queued are still handed out, then {@link #get} returns null.
 *       {@link #shutDownWithDrain} also waits for items in flight to be {@link #done}.</li>
 * </ul>
 * Time is read only from the injected {@link Clock}. Waiting workers sleep until the next delayed
 * item is due (re-checking at least every {@link #MAX_WAIT} to survive clock jumps); after moving a
 * fake clock, tests call {@link #wake()} or use the non-blocking {@link #poll()}.
 *
 * <p>Thread-safe: any number of producers and workers.
 *
 * @param <K> item type
 */
public final class WorkQueue<K> {
    /** Longest a waiting worker sleeps without re-reading the clock while delayed items exist. */
    public static final Duration MAX_WAIT = Duration.ofSeconds(10);

    private record Delayed<K>(Instant readyAt, long seq, K item) {
    }

    private final Clock clock;
    private final RateLimiter<K> limiter;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<K> queue = new ArrayDeque<>();
    private final Set<K> dirty = new HashSet<>();
    private final Set<K> processing = new HashSet<>();
    private final Map<K, Instant> waitingUntil = new HashMap<>();
    private final PriorityQueue<Delayed<K>> delayed = new PriorityQueue<>((a, b) -> {
        int c = a.readyAt().compareTo(b.readyAt());
        return c != 0 ? c : Long.compare(a.seq(), b.seq());
    });
    // System.nanoTime stamps for metrics only (measurements, never decisions)
    private final Map<K, Long> addedAt = new HashMap<>();
    private final Map<K, Long> takenAt = new HashMap<>();
    private final QueueMetrics metrics;
    private long seq;
    private boolean shuttingDown;

    public WorkQueue(Clock clock, RateLimiter<K> limiter) {
        this(clock, limiter, QueueMetrics.NONE);
    }

    /** A queue that reports adds, waits, work times and retries to {@code metrics}. */
    public WorkQueue(Clock clock, RateLimiter<K> limiter, QueueMetrics metrics) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** A queue with {@link MaxOfRateLimiter#defaultFor(Clock)}. */
    public static <K> WorkQueue<K> withDefaults(Clock clock) {
        return new WorkQueue<>(clock, MaxOfRateLimiter.defaultFor(clock));
    }

    /** Marks {@code item} as needing processing. No-op after shutdown. */
    public void add(K item) {
        Objects.requireNonNull(item, "item");
        lock.lock();
        try {
            addLocked(item);
        } finally {
            lock.unlock();
        }
    }

    private void addLocked(K item) {
        if (shuttingDown || !dirty.add(item)) {
            return;
        }
        metrics.added();
        addedAt.putIfAbsent(item, System.nanoTime());
        if (!processing.contains(item)) {
            queue.addLast(item);
            changed.signal();
        }
    }

    /** Adds {@code item} once the clock has moved on by {@code delay} (at once if not positive). */
    public void addAfter(K item, Duration delay) {
        Objects.requireNonNull(item, "item");
        lock.lock();
        try {
            if (shuttingDown) {
                return;
            }
            if (delay.isNegative() || delay.isZero()) {
                addLocked(item);
                return;
            }
            Instant at = clock.instant().plus(delay);
            Instant current = waitingUntil.get(item);
            if (current != null && !at.isBefore(current)) {
                return;
            }
            waitingUntil.put(item, at);
            delayed.add(new Delayed<>(at, seq++, item));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds {@code item} after the rate limiter's delay for it (one more failure recorded).
     *
     * @return the delay applied
     */
    public Duration addRateLimited(K item) {
        Duration d = limiter.when(item);
        metrics.retried();
        addAfter(item, d);
        return d;
    }

    /** Clears {@code item}'s failure history (call after a success). */
    public void forget(K item) {
        limiter.forget(item);
    }

    /** Failures recorded for {@code item} since it was last forgotten. */
    public int numRequeues(K item) {
        return limiter.numRequeues(item);
    }

    /**
     * Takes the next item, waiting as long as needed; null once shut down and empty. The caller
     * must call {@link #done} with it.
     */
    public K get() throws InterruptedException {
        return get(null);
    }

    /** {@link #get()} waiting at most {@code timeout} (real time); null if nothing came. */
    public K get(Duration timeout) throws InterruptedException {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                promoteDue();
                if (!queue.isEmpty()) {
                    return takeLocked();
                }
                if (shuttingDown) {
                    return null;
                }
                long wait = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (wait <= 0) {
                    return null;
                }
                Delayed<K> next = delayed.peek();
                if (next != null) {
                    long due = Duration.between(clock.instant(), next.readyAt()).toNanos();
                    wait = Math.min(wait, Math.max(1, Math.min(due, MAX_WAIT.toNanos())));
                }
                if (wait == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    changed.awaitNanos(wait);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The next item if one is ready now (after promoting due delayed items), else null. */
    public K poll() {
        lock.lock();
        try {
            promoteDue();
            return queue.isEmpty() ? null : takeLocked();
        } finally {
            lock.unlock();
        }
    }

    private K takeLocked() {
        K item = queue.removeFirst();
        processing.add(item);
        dirty.remove(item);
        long now = System.nanoTime();
        Long added = addedAt.remove(item);
        metrics.taken(Duration.ofNanos(added == null ? 0 : now - added));
        takenAt.put(item, now);
        return item;
    }

    private void promoteDue() {
        Instant now = clock.instant();
        Delayed<K> d;
        while ((d = delayed.peek()) != null && !d.readyAt().isAfter(now)) {
            delayed.poll();
            if (d.readyAt().equals(waitingUntil.get(d.item()))) {
                waitingUntil.remove(d.item());
                addLocked(d.item());
            }
        }
    }

    /** Ends processing of {@code item}; if it was added meanwhile it goes back in the queue. */
    public void done(K item) {
        lock.lock();
        try {
            processing.remove(item);
            Long taken = takenAt.remove(item);
            if (taken != null) {
                metrics.done(Duration.ofNanos(System.nanoTime() - taken));
            }
            if (dirty.contains(item)) {
                queue.addLast(item);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes waiting workers to re-read the clock (after a fake clock was moved). */
    public void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops accepting adds and drops delayed items; queued items are still handed out. */
    public void shutDown() {
        lock.lock();
        try {
            shuttingDown = true;
            delayed.clear();
            waitingUntil.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #shutDown()}, then waits up to {@code timeout} until no item is in flight.
     *
     * @return whether everything in flight finished in time
     */
    public boolean shutDownWithDrain(Duration timeout) throws InterruptedException {
        shutDown();
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!processing.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Items ready to be handed out (not counting delayed or in-flight ones). */
    public int length() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Items added and not yet taken (queued, or re-added while in flight), as client-go counts depth. */
    public int depth() {
        lock.lock();
        try {
            return dirty.size();
        } finally {
            lock.unlock();
        }
    }

    /** How long each item in flight has been worked on so far. */
    public java.util.List<Duration> inFlightAges() {
        lock.lock();
        try {
            long now = System.nanoTime();
            return takenAt.values().stream().map(t -> Duration.ofNanos(now - t)).toList();
        } finally {
            lock.unlock();
        }
    }

    /** Items waiting for their time. */
    public int delayedCount() {
        lock.lock();
        try {
            return waitingUntil.size();
        } finally {
            lock.unlock();
        }
    }

    /** Items being processed right now. */
    public int inFlight() {
        lock.lock();
        try {
            return processing.size();
        } finally {
            lock.unlock();
        }
    }

    public boolean isShuttingDown() {
        lock.lock();
        try {
            return shuttingDown;
        } finally {
            lock.unlock();
        }
    }
}
