package dev.berth.engine.gc;

import dev.berth.engine.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides when garbage collection runs, with containerd's scheduler policy
 * ({@code io.containerd.gc.v1.scheduler}):
 *
 * <ul>
 *   <li>the first collection is due {@code startup_delay} after the scheduler is made;</li>
 *   <li>a trigger makes one due {@code schedule_delay} later: an explicit {@link #request()}, the
 *       {@code deletion_threshold}-th deletion ({@link #deleted()}), or the {@code mutation_threshold}-th
 *       mutation ({@link #mutated()}); with {@code deletion_threshold = 0} any deletion triggers only
 *       when no collection is due yet, so deletions never hurry one that is already planned;</li>
 *   <li>to keep the store paused at most {@code pause_threshold} of the time, a collection that
 *       took on average {@code t} (at least 5 ms) is followed by at least {@code t/pause_threshold - t}
 *       before the next one, except for explicit requests;</li>
 *   <li>nothing due without a trigger, except that Berth also runs one at least every
 *       {@code maxInterval} (0 = never) so that expired leases and stale ingests are reaped on an idle
 *       node (containerd never runs idle: its issue #6294);</li>
 *   <li>a failed collection is retried after the last interval plus one second.</li>
 * </ul>
 *
 * The daemon calls {@link #nextRun()} to schedule a job and {@link #runIfDue(GarbageCollector)} in it;
 * event sources call {@link #mutated()} and {@link #deleted()}. Time comes only from the injected
 * clock. Thread-safe.
 */
public final class GcScheduler {
    private static final Duration MIN_GC_TIME = Duration.ofMillis(5);
    private static final double AVERAGE_WEIGHT = 0.5;

    private final Clock clock;
    private final double pauseThreshold;
    private final long deletionThreshold;
    private final long mutationThreshold;
    private final Duration scheduleDelay;
    private final Duration maxInterval;

    private long deletions;
    private long mutations;
    private Instant next;
    private boolean explicit;
    private Instant lastFinish;
    private Duration interval = Duration.ZERO;
    private Duration averageGcTime;

    public GcScheduler(Clock clock, double pauseThreshold, long deletionThreshold, long mutationThreshold,
            Duration scheduleDelay, Duration startupDelay, Duration maxInterval) {
        if (!(pauseThreshold > 0 && pauseThreshold <= 0.5)) {
            throw new IllegalArgumentException("pause_threshold must be above 0 and at most 0.5, not " + pauseThreshold);
        }
        this.clock = clock;
        this.pauseThreshold = pauseThreshold;
        this.deletionThreshold = deletionThreshold;
        this.mutationThreshold = mutationThreshold;
        this.scheduleDelay = scheduleDelay;
        this.maxInterval = maxInterval;
        this.next = clock.instant().plus(startupDelay);
        this.lastFinish = clock.instant();
    }

    /** A scheduler with the settings of {@code config}. */
    public static GcScheduler from(Config config, Clock clock) {
        return new GcScheduler(clock, config.get(GcSettings.PAUSE_THRESHOLD), config.get(GcSettings.DELETION_THRESHOLD),
                config.get(GcSettings.MUTATION_THRESHOLD), config.get(GcSettings.SCHEDULE_DELAY),
                config.get(GcSettings.STARTUP_DELAY), config.get(GcSettings.MAX_INTERVAL));
    }

    /** Records a change to the store (a pull, a commit, a label change). */
    public synchronized void mutated() {
        mutations++;
        if (mutationThreshold > 0 && mutations >= mutationThreshold && next == null) {
            trigger(false);
        }
    }

    /** Records a deletion (image, container, snapshot or lease removed). */
    public synchronized void deleted() {
        deletions++;
        if (deletionThreshold > 0 ? deletions >= deletionThreshold : next == null) {
            trigger(false);
        }
    }

    /** Asks for a collection soon ({@code schedule_delay}), ignoring the pause budget. */
    public synchronized void request() {
        trigger(true);
    }

    private void trigger(boolean isExplicit) {
        Instant now = clock.instant();
        Instant at = now.plus(scheduleDelay);
        if (!isExplicit) {
            Instant budget = lastFinish.plus(interval);
            at = at.isBefore(budget) ? budget : at;
        }
        explicit |= isExplicit;
        if (next == null || at.isBefore(next)) {
            next = at;
        }
    }

    /** When the next collection is due; empty when nothing calls for one (then at most maxInterval). */
    public synchronized Optional<Instant> nextRun() {
        if (next != null) {
            return Optional.of(next);
        }
        return maxInterval.isZero() ? Optional.empty() : Optional.of(lastFinish.plus(maxInterval));
    }

    /** Whether a collection is due now. */
    public synchronized boolean due() {
        return nextRun().map(t -> !t.isAfter(clock.instant())).orElse(false);
    }

    /** Runs a collection with {@code gc} when one is due; records its time and outcome. */
    public Optional<GcResult> runIfDue(GarbageCollector gc) {
        synchronized (this) {
            if (!due()) {
                return Optional.empty();
            }
            started();
        }
        long start = System.nanoTime();
        try {
            GcResult r = gc.collect(false);
            finished(r.took(), r.failures().isEmpty());
            return Optional.of(r);
        } catch (RuntimeException e) {
            finished(Duration.ofNanos(System.nanoTime() - start), false);
            throw e;
        }
    }

    /** Marks the start of a collection: the triggers so far are consumed by it. */
    public synchronized void started() {
        deletions = 0;
        mutations = 0;
        next = null;
        explicit = false;
    }

    /**
     * Records a finished collection that took {@code took}: updates the average and the pause budget,
     * and after a failure makes the retry due after the last interval plus one second.
     */
    public synchronized void finished(Duration took, boolean succeeded) {
        Duration t = took.compareTo(MIN_GC_TIME) < 0 ? MIN_GC_TIME : took;
        averageGcTime = averageGcTime == null ? t
                : Duration.ofNanos((long) (averageGcTime.toNanos() * (1 - AVERAGE_WEIGHT) + t.toNanos() * AVERAGE_WEIGHT));
        long avg = averageGcTime.toNanos();
        interval = Duration.ofNanos((long) (avg / pauseThreshold) - avg);
        lastFinish = clock.instant();
        if (!succeeded) {
            Instant retry = lastFinish.plus(interval).plusSeconds(1);
            next = next == null || retry.isBefore(next) ? retry : next;
        } else if (next != null && !explicit) {
            Instant budget = lastFinish.plus(interval);
            next = next.isBefore(budget) ? budget : next;
        }
    }

    /** The least time between the end of one collection and the start of the next triggered one. */
    public synchronized Duration interval() {
        return interval;
    }
}
