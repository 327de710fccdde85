package dev.berth.engine.sandbox;

import dev.berth.engine.config.Config;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.remotes.Reference;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The pause image of new sandboxes: config.toml's sandbox image (version 3
 * {@code plugins."io.containerd.cri.v1.images".pinned_images.sandbox}, version 2
 * {@code plugins."io.containerd.grpc.v1.cri".sandbox_image}), made present IfNotPresent and pinned.
 *
 * <p>Pinned means what containerd's CRI plugin means by its {@value #PINNED_LABEL} label: the
 * record is kept while it is the configured sandbox image. Image records are garbage-collection
 * roots anyway; the label additionally makes the collector ignore a {@code containerd.io/gc.expire}
 * on it, and makes an Image object's deletion leave the record in place (see ImageReconciler).
 * When the key changes, the next {@link #ensure} pins the new image and unpins the old one, so new
 * sandboxes use the new image while running sandboxes keep the one they started with.
 *
 * <p>The configuration is read on every call (through the supplier), so a reloaded config applies
 * to the next sandbox. Thread-safe: the stores are, and {@link #ensure} is idempotent.
 */
public final class PauseImages {
    /** containerd CRI's label for images its image GC must keep (sandbox image, pinned_images). */
    public static final String PINNED_LABEL = "io.cri-containerd.pinned";
    public static final String PINNED = "pinned";
    /** The keys a user edits, for messages. */
    public static final String CONFIG_KEYS = "config.toml plugins.\"io.containerd.cri.v1.images\".pinned_images.sandbox"
            + " (version 2: plugins.\"io.containerd.grpc.v1.cri\".sandbox_image)";

    /** Pulls one reference into the store; the ImagePuller with the node's registries in production. */
    @FunctionalInterface
    public interface Pull {
        Image pull(Reference ref);
    }

    private final Supplier<Config> config;
    private final ContentStore content;
    private final ImageStore images;

    public PauseImages(Supplier<Config> config, ContentStore content, ImageStore images) {
        this.config = config;
        this.content = content;
        this.images = images;
    }

    /** The configured sandbox image, normalised (e.g. {@code registry.k8s.io/pause:3.10}). */
    public Reference configured() {
        String raw = config.get().get(SandboxSettings.SANDBOX_IMAGE);
        try {
            return Reference.parse(raw);
        } catch (BerthException e) {
            throw BerthException.invalid("the sandbox image \"%s\" set by %s is not an image reference: %s", raw,
                    CONFIG_KEYS, e.getMessage());
        }
    }

    /** Whether {@code imageName} is the configured sandbox image (so must be kept). */
    public boolean isConfigured(String imageName) {
        try {
            return configured().toString().equals(imageName);
        } catch (BerthException e) {
            return false;
        }
    }

    /**
     * Makes the configured image present (pulling only when its record or content is missing),
     * pins it, unpins a previously configured one, and returns the record with its resolved
     * platform manifest. A failed pull becomes an UNAVAILABLE (or the pull's own category) error
     * whose message names the config key and how to import the image on an offline node.
     */
    public Present ensure(PlatformMatcher matcher, Pull pull) {
        Reference ref = configured();
        String name = ref.toString();
        Optional<ResolvedImage> local = complete(name, matcher);
        if (local.isEmpty()) {
            try {
                pull.pull(ref);
            } catch (BerthException e) {
                throw new BerthException(e.category() == ErrorCategory.INVALID_ARGUMENT ? ErrorCategory.INVALID_ARGUMENT
                        : ErrorCategory.UNAVAILABLE, "cannot pull the sandbox image " + name + " (" + CONFIG_KEYS + "): "
                        + e.getMessage() + ". On a node without registry access import it: bin/build-pause-image"
                        + " (Berth's own pause, imported under the configured name), or `berth images import FILE.tar`"
                        + " of an archive saved elsewhere (`ctr images export`, `podman save`); or set the key to"
                        + " an image already in the store (berth images ls)", e);
            }
            local = complete(name, matcher);
            if (local.isEmpty()) {
                throw BerthException.notFound("the sandbox image %s was pulled but its content for this platform is"
                        + " incomplete; remove it (berth images rm %s) and retry", name, name);
            }
        }
        Image record = pin(images.get(name));
        for (Image other : images.list(i -> PINNED.equals(i.labels().get(PINNED_LABEL)) && !i.name().equals(name))) {
            Map<String, String> labels = new HashMap<>(other.labels());
            labels.remove(PINNED_LABEL);
            images.update(other.withLabels(labels), Set.of("labels." + PINNED_LABEL));
        }
        return new Present(name, record.target().digest().toString(), local.get());
    }

    private Image pin(Image record) {
        if (PINNED.equals(record.labels().get(PINNED_LABEL))) {
            return record;
        }
        Map<String, String> labels = new HashMap<>(record.labels());
        labels.put(PINNED_LABEL, PINNED);
        return images.update(record.withLabels(labels), Set.of("labels." + PINNED_LABEL));
    }

    /** The record resolved for {@code matcher} when it and every blob it needs are in the store. */
    private Optional<ResolvedImage> complete(String name, PlatformMatcher matcher) {
        Optional<Image> record = images.find(name);
        if (record.isEmpty() || !content.exists(record.get().target().digest())) {
            return Optional.empty();
        }
        try {
            ResolvedImage r = Images.resolve(content, record.get().target(), matcher);
            if (!content.exists(r.configDescriptor().digest())) {
                return Optional.empty();
            }
            for (Descriptor l : r.layers()) {
                if (!content.exists(l.digest())) {
                    return Optional.empty();
                }
            }
            return Optional.of(r);
        } catch (BerthException e) {
            if (e.category() != ErrorCategory.NOT_FOUND) {
                throw e;
            }
            return Optional.empty();
        }
    }

    /**
     * The pause image a new sandbox uses.
     *
     * @param name normalised reference (the record's name)
     * @param digest the record's target digest (index or manifest), shown in Sandbox status
     * @param resolved the platform manifest, config and layers
     */
    public record Present(String name, String digest, ResolvedImage resolved) {
    }
}
