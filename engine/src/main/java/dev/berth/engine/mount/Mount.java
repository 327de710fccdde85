package dev.berth.engine.mount;

import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One mount to perform, as a snapshotter describes a snapshot: a file-system {@code type}
 * ({@code bind}, {@code overlay}, …), a {@code source}, and {@code options} in mount(8) syntax
 * ({@code ro}, {@code rbind}, {@code lowerdir=…}). The same shape as containerd's {@code Mount}, so
 * {@code berth snapshots mounts} prints what {@code ctr snapshots mounts} would. Mounting goes
 * straight to mount(2); nothing is shelled out. Immutable.
 */
public record Mount(String type, String source, List<String> options) {
    public Mount {
        if (type == null || type.isEmpty()) {
            throw BerthException.invalid("mount of %s has no type", source);
        }
        options = List.copyOf(options);
    }

    /** Mounts this on {@code target}, which must exist. */
    public void mount(Path target) {
        Mounter.mount(this, target);
    }

    /** The value of a {@code key=value} option, if present (e.g. {@code upperdir}). */
    public Optional<String> option(String key) {
        String prefix = key + "=";
        return options.stream().filter(o -> o.startsWith(prefix)).map(o -> o.substring(prefix.length())).findFirst();
    }

    /** Whether the bare option {@code name} (e.g. {@code ro}) is present. */
    public boolean hasOption(String name) {
        return options.contains(name);
    }

    /** Whether this mount is read-only. */
    public boolean readOnly() {
        return hasOption("ro");
    }

    /**
     * The directories of an overlay mount, lowest first as they appear in the mounted tree, or the
     * source of a bind mount: useful to callers that apply layers without mounting.
     */
    public List<Path> lowerDirs() {
        if (!type.equals("overlay")) {
            return List.of();
        }
        String low = option("lowerdir").orElse("");
        return low.isEmpty() ? List.of() : java.util.Arrays.stream(low.split(":")).map(Path::of).toList();
    }

    /** Mounts all of {@code mounts} on {@code target} in order (a later mount stacks on the earlier). */
    public static void mountAll(List<Mount> mounts, Path target) {
        for (Mount m : mounts) {
            m.mount(target);
        }
    }

    @Override
    public String toString() {
        return "type=" + type + " source=" + source + " options=" + String.join(",", options);
    }
}
