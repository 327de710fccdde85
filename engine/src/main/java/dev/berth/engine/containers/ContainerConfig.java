package dev.berth.engine.containers;

import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.spec.ContainerSpec;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a caller asks of {@link Containers#create}: the root file system (an image record, unpacked
 * into {@code snapshotter} and given a writable snapshot, or a directory that is already a root
 * file system), what to run on it ({@link ContainerSpec}: command, env, user, mounts, resources,
 * namespaces to join or share with the host), and the labels and extensions the record keeps.
 * Paths, keys and the OCI spec are not part of it: the containers service makes them. Immutable;
 * build with {@link #builder()}.
 *
 * @param image       the image record to run (normalised reference as stored), or null with {@code rootfs}
 * @param snapshotter where the rootfs snapshot lives; null: the node's default ({@code snapshotter})
 * @param platform    the image platform to run ({@code os/arch[/variant]}); null: the node's default matcher
 * @param rootfs      an existing root file system directory instead of an image (ctr's {@code --rootfs})
 * @param spec        what runs: process, mounts, resources, namespaces (sandbox joins by path)
 * @param labels      the record's labels (containerd's container labels)
 * @param extensions  named opaque values kept with the record for its owner (the Container reconciler's
 *                    restart state), as containerd's container extensions
 */
public record ContainerConfig(String image, String snapshotter, String platform, Path rootfs, ContainerSpec spec,
        Map<String, String> labels, Map<String, String> extensions) {

    public ContainerConfig {
        if ((image == null) == (rootfs == null)) {
            throw BerthException.invalid("a container needs exactly one of an image or a rootfs directory (got %s)",
                    image == null ? "neither" : "both");
        }
        spec = spec == null ? ContainerSpec.builder().build() : spec;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
        rootfs = rootfs == null ? null : rootfs.toAbsolutePath().normalize();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** This config with {@code spec} in place of its own (e.g. the live resources on a restart). */
    public ContainerConfig withSpec(ContainerSpec s) {
        return new ContainerConfig(image, snapshotter, platform, rootfs, s, labels, extensions);
    }

    /** Builds a {@link ContainerConfig}; validated in {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private String image;
        private String snapshotter;
        private String platform;
        private Path rootfs;
        private ContainerSpec.Builder spec = ContainerSpec.builder();
        private final Map<String, String> labels = new LinkedHashMap<>();
        private final Map<String, String> extensions = new LinkedHashMap<>();

        /** Run image record {@code name} (unpacked on demand, a fresh writable snapshot per container). */
        public Builder image(String name) {
            image = name;
            return this;
        }

        public Builder snapshotter(String name) {
            snapshotter = name;
            return this;
        }

        /** {@code os/arch[/variant]}; null for the node's default. */
        public Builder platform(String p) {
            platform = p == null || p.isEmpty() ? null : p;
            return this;
        }

        /** Run this existing root file system directory instead of an image. */
        public Builder rootfs(Path dir) {
            rootfs = dir;
            return this;
        }

        /** What runs (replaces what the shortcuts below set so far). */
        public Builder spec(ContainerSpec s) {
            spec = s.toBuilder();
            return this;
        }

        /** Joins namespace {@code type} (network, ipc, uts, pid, ...) at {@code path}, e.g. a pause container's. */
        public Builder joinNamespace(String type, String path) {
            spec.joinNamespace(type, path);
            return this;
        }

        /** Shares namespace {@code type} with the host. */
        public Builder hostNamespace(String type) {
            spec.hostNamespace(type);
            return this;
        }

        public Builder mount(RuntimeSpec.Mount m) {
            spec.mount(m);
            return this;
        }

        public Builder resources(Resources r) {
            spec.resources(r);
            return this;
        }

        public Builder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        /** Keeps {@code value} (opaque text, e.g. JSON) under {@code name} in the record. */
        public Builder extension(String name, String value) {
            extensions.put(name, value);
            return this;
        }

        public ContainerConfig build() {
            return new ContainerConfig(image, snapshotter, platform, rootfs, spec.build(), labels, extensions);
        }
    }
}
