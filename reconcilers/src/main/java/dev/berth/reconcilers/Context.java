package dev.berth.reconcilers;

import java.time.Clock;

/**
 * What a reconcile may know besides the object: how many times in a row it has failed for this
 * object ({@code 0} on a fresh attempt), and the clock to use for every time decision. Immutable.
 */
public record Context(int retries, Clock clock) {
    /** A first attempt on {@code clock}. */
    public static Context first(Clock clock) {
        return new Context(0, clock);
    }
}
