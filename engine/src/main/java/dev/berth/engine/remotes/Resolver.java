package dev.berth.engine.remotes;

/**
 * Entry point to a registry: turns a {@link Reference} into the descriptor of its root object
 * (manifest or index) and hands out fetchers and pushers for the reference's repository, as
 * containerd's {@code remotes.Resolver}. Implementations are thread-safe; one resolver may serve
 * many pulls and keeps authentication state (tokens) between them.
 */
public interface Resolver extends AutoCloseable {
    /**
     * Resolves {@code ref} (a tag or a digest) to the descriptor of its manifest or index. Fails with
     * NOT_FOUND for a missing tag or repository, PERMISSION_DENIED when the registry refuses access,
     * UNAVAILABLE when no endpoint answered, FAILED_PRECONDITION / NOT_IMPLEMENTED for content Berth
     * cannot use (oversized, unknown media type, Docker schema 1).
     */
    Resolved resolve(Reference ref);

    /** A fetcher for blobs and manifests of {@code ref}'s repository. */
    Fetcher fetcher(Reference ref);

    /** A pusher into {@code ref}'s repository. */
    Pusher pusher(Reference ref);

    /** Ends the resolver's connections and cached tokens; nothing to do by default. */
    @Override
    default void close() {
    }
}
