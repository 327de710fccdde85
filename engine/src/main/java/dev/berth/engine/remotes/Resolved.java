package dev.berth.engine.remotes;

import dev.berth.engine.oci.Descriptor;

/**
 * The outcome of {@link Resolver#resolve}: the reference as asked and the descriptor of the root
 * manifest or index it points to. Immutable.
 */
public record Resolved(Reference reference, Descriptor descriptor) {
}
