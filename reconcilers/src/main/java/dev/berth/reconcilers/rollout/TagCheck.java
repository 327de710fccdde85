package dev.berth.reconcilers.rollout;

import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.Resolver;

/**
 * Whether an image's tag points somewhere new in its registry, asked the cheap way podman
 * auto-update and Flux's image automation ask: one {@code HEAD} of the manifest (the resolver
 * falls back to GET only for registries that refuse HEAD), compared with the digest held locally.
 * Stateless and thread-safe.
 */
public final class TagCheck {
    private TagCheck() {
    }

    /** Whether {@code ref} resolves to another digest than {@code local} (true when there is nothing local). */
    public static boolean moved(Resolver resolver, String ref, Descriptor local) {
        if (local == null) {
            return true;
        }
        Reference r = Reference.parse(ref);
        if (r.digest() != null) {
            // a reference by digest never moves
            return false;
        }
        return !resolver.resolve(r).descriptor().digest().equals(local.digest());
    }
}
