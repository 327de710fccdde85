package dev.berth.reconcilers.container;

import dev.berth.engine.images.PlatformMatcher;

/**
 * The image a Container runs, resolved from its Ready Image object: the engine image record
 * (normalised reference), the digest, the snapshotter and the platform. Immutable.
 */
record ImageTarget(String imageName, String digest, String snapshotter, PlatformMatcher matcher) {
}
