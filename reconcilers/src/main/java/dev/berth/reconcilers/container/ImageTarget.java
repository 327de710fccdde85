package dev.berth.reconcilers.container;

/**
 * The image a Container runs, resolved from its Ready Image object: the engine image record
 * (normalised reference), the digest, the snapshotter and the platform ({@code os/arch[/variant]},
 * null for the node's default). Immutable.
 */
record ImageTarget(String imageName, String digest, String snapshotter, String platform) {
}
