package dev.berth.controller.queue;

import java.time.Duration;

/**
 * What a {@link WorkQueue} reports as it works, with client-go's workqueue metric semantics: an add
 * that is not already pending, how long an item waited between its add and a worker taking it, how
 * long it was worked on, and rate-limited re-adds. Depth and in-flight ages are read from the queue
 * at scrape time ({@link WorkQueue#depth()}, {@link WorkQueue#inFlightAges()}). Called under the
 * queue's lock: implementations must be quick and must not call back into the queue. Thread-safe.
 */
public interface QueueMetrics {
    /** Reports nothing. */
    QueueMetrics NONE = new QueueMetrics() {
    };

    default void added() {
    }

    default void taken(Duration queued) {
    }

    default void done(Duration worked) {
    }

    default void retried() {
    }
}
