package dev.berth.engine.snapshots.nativefs;

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
import java.time.Clock;
import java.util.List;

/**
 * The native snapshotter: every snapshot is a full copy of its parent in {@code <root>/<id>/fs},
 * mounted as a bind mount (read-only for views). Slow and space-hungry, but needs no overlay
 * support from the kernel or the backing file system. Thread-safe.
 */
public final class NativeSnapshotter extends LocalSnapshotter {
    public static final String NAME = "native";

    public NativeSnapshotter(Path root, MetadataStore store, Clock clock) {
        this(root, store, clock, EventBus.NONE);
    }

    public NativeSnapshotter(Path root, MetadataStore store, Clock clock, EventBus events) {
        super(NAME, root, store, clock, events);
    }

    @Override
    protected void populate(Path dir, Kind kind, List<Path> parentFs) throws IOException {
        Path fs = dir.resolve("fs");
        if (parentFs.isEmpty()) {
            Files.createDirectory(fs);
            Sys.chmod(fs, 0755);
        } else {
            FileTree.copy(parentFs.get(0), fs);
        }
    }

    @Override
    protected List<Mount> mounts(Row row, List<Path> parentFs) {
        return List.of(new Mount("bind", fsDir(row.id()).toString(),
                List.of(row.info().kind() == Kind.VIEW ? "ro" : "rw", "rbind")));
    }
}
