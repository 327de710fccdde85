package dev.berth.engine.images;

import dev.berth.engine.oci.Platform;
import java.util.Comparator;

/**
 * Decides which platforms an operation accepts and which it prefers, as containerd's
 * {@code platforms.MatchComparer}. Build one with {@link Platforms}. Implementations are immutable
 * and thread-safe.
 */
public interface PlatformMatcher {

    /** Whether {@code p} (normalised by the matcher) is acceptable. */
    boolean matches(Platform p);

    /**
     * The preference of {@code p}: 0 is best, larger is worse, {@link Integer#MAX_VALUE} for a
     * platform that does not match.
     */
    int rank(Platform p);

    /** Orders platforms best first; a null platform (an index entry without one) sorts last. */
    default Comparator<Platform> comparator() {
        return Comparator.comparingLong(p -> p == null ? Long.MAX_VALUE : rank(p));
    }

    /** A readable description for errors ("linux/amd64 (or compatible)"). */
    String describe();
}
