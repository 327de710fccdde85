package dev.berth.controller.source;

import java.time.Instant;

/**
 * The last scan of one manifest file: how many objects it holds in force and the error that keeps
 * its newer content out, if any. Immutable.
 */
public record SourceStatus(String source, Instant lastScan, int objects, String error) {
    public boolean healthy() {
        return error == null;
    }
}
