package dev.berth.crd;

import dev.berth.crd.container.Container;
import dev.berth.crd.image.Image;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.snapshot.Snapshot;
import io.fabric8.kubernetes.client.CustomResource;
import java.util.List;
import java.util.Optional;

/**
 * The Berth API group: its name, version and the kinds it serves. Constants only; thread-safe.
 */
public final class Berth {
    /** API group of every Berth kind. */
    public static final String GROUP = "berth.dev";
    /** The one served version. */
    public static final String VERSION = "v1alpha1";
    /** {@code apiVersion} as written in a manifest. */
    public static final String API_VERSION = GROUP + "/" + VERSION;
    /** Namespace used when an object from a file or the local API names none. */
    public static final String DEFAULT_NAMESPACE = "default";

    /** The kinds, in dependency order (an Image comes before what is made from it). */
    public static final List<Class<? extends CustomResource<?, ?>>> KINDS =
            List.of(Image.class, Snapshot.class, Sandbox.class, Container.class);

    private Berth() {
    }

    /** The class for a {@code kind} value, case-sensitive as in a manifest. */
    public static Optional<Class<? extends CustomResource<?, ?>>> kindClass(String kind) {
        return KINDS.stream().filter(c -> c.getSimpleName().equals(kind)).findFirst();
    }

    /** The kind names, for messages. */
    public static List<String> kindNames() {
        return KINDS.stream().map(Class::getSimpleName).toList();
    }
}
