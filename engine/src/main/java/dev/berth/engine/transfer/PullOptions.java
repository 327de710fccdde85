package dev.berth.engine.transfer;

import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import java.util.Objects;

/**
 * What a pull should fetch. Immutable.
 *
 * @param platforms              which manifests of an index to take (the best match only)
 * @param maxConcurrentDownloads blobs fetched at the same time
 * @param listener               per-blob progress
 */
public record PullOptions(PlatformMatcher platforms, int maxConcurrentDownloads, BlobProgress.Listener listener) {
    public PullOptions {
        Objects.requireNonNull(platforms, "platforms");
        Objects.requireNonNull(listener, "listener");
        if (maxConcurrentDownloads < 1) {
            throw new IllegalArgumentException("maxConcurrentDownloads must be at least 1");
        }
    }

    /** The host platform, 3 downloads at a time, no progress. */
    public static PullOptions defaults() {
        return new PullOptions(Platforms.defaultMatcher(), 3, BlobProgress.Listener.none());
    }

    public PullOptions withPlatforms(PlatformMatcher m) {
        return new PullOptions(m, maxConcurrentDownloads, listener);
    }

    public PullOptions withMaxConcurrentDownloads(int n) {
        return new PullOptions(platforms, n, listener);
    }

    public PullOptions withListener(BlobProgress.Listener l) {
        return new PullOptions(platforms, maxConcurrentDownloads, l);
    }
}
