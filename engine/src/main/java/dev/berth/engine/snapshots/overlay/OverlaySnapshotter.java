package dev.berth.engine.snapshots.overlay;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.snapshots.Kind;
import dev.berth.engine.snapshots.LocalSnapshotter;
import dev.berth.engine.snapshots.SnapshotMetadata.Row;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The overlayfs snapshotter (containerd's default, named {@code overlayfs}): each snapshot is
 * {@code <root>/<id>/fs} (its upper directory) plus {@code work/} for actives. An active snapshot
 * with parents mounts as {@code overlay} with {@code lowerdir} nearest parent first; one without
 * parents is a bind mount of its own {@code fs}; a view of exactly one layer is a read-only bind of
 * that layer. {@code index=off} is added when the kernel has the option. Option strings longer than
 * a page are shortened by {@link Mount#mount}. Thread-safe.
 */
public final class OverlaySnapshotter extends LocalSnapshotter {
    public static final String NAME = "overlayfs";
    private static final Path INDEX_PARAM = Path.of("/sys/module/overlay/parameters/index");

    private final List<String> extraOptions;

    public OverlaySnapshotter(Path root, MetadataStore store, Clock clock) {
        this(root, store, clock, EventBus.NONE);
    }

    public OverlaySnapshotter(Path root, MetadataStore store, Clock clock, EventBus events) {
        super(NAME, root, store, clock, events);
        requireOverlay();
        this.extraOptions = Files.exists(INDEX_PARAM) ? List.of("index=off") : List.of();
    }

    private static void requireOverlay() {
        try {
            boolean listed = Files.readAllLines(Path.of("/proc/filesystems")).stream()
                    .anyMatch(l -> l.trim().endsWith("overlay"));
            if (!listed) {
                throw BerthException.unavailable("the kernel has no overlay file system (not in /proc/filesystems); "
                        + "load it with 'modprobe overlay' or set snapshotter = \"native\"");
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read /proc/filesystems: %s", e.getMessage());
        }
    }

    /** An overlay snapshot's upper directory holds only its own changes, so it can be built beforehand. */
    @Override
    public boolean acceptsPrebuilt() {
        return true;
    }

    @Override
    protected void populate(Path dir, Kind kind, List<Path> parentFs) throws IOException {
        Path fs = dir.resolve("fs");
        Files.createDirectory(fs);
        Sys.chmod(fs, 0755);
        if (kind == Kind.ACTIVE) {
            Files.createDirectory(dir.resolve("work"), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx--x--x")));
            Sys.chmod(dir.resolve("work"), 0711);
        }
        if (!parentFs.isEmpty()) {
            // the root of the merged tree belongs to whoever owns the parent's root
            FileTree.Stat st = FileTree.lstat(parentFs.get(0));
            if (st != null) {
                Sys.lchown(fs, st.uid(), st.gid());
            }
        }
    }

    @Override
    protected List<Mount> mounts(Row row, List<Path> parentFs) {
        Path fs = fsDir(row.id());
        Kind kind = row.info().kind();
        if (parentFs.isEmpty()) {
            return List.of(new Mount("bind", fs.toString(), List.of(kind == Kind.VIEW ? "ro" : "rw", "rbind")));
        }
        if (kind == Kind.VIEW && parentFs.size() == 1) {
            return List.of(new Mount("bind", parentFs.get(0).toString(), List.of("ro", "rbind")));
        }
        List<String> options = new ArrayList<>();
        if (kind == Kind.ACTIVE) {
            options.add("workdir=" + fs.resolveSibling("work"));
            options.add("upperdir=" + fs);
        }
        options.add("lowerdir=" + parentFs.stream().map(Path::toString).collect(Collectors.joining(":")));
        options.addAll(extraOptions);
        return List.of(new Mount("overlay", "overlay", options));
    }
}
