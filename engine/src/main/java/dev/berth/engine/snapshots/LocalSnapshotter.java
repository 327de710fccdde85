package dev.berth.engine.snapshots;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.snapshots.SnapshotMetadata.Row;
import dev.berth.engine.sys.Sys;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The part every directory-backed snapshotter shares: records in {@link SnapshotMetadata}, one
 * directory {@code <root>/<id>/} per snapshot with the snapshot's files in {@code fs/}, new
 * directories built aside and renamed into place inside the transaction that records them, and
 * removal that renames first and deletes after. Subclasses decide what a new directory holds and
 * how a snapshot is mounted. Thread-safe.
 */
public abstract class LocalSnapshotter implements Snapshotter {
    private final String name;
    private final Path root;
    private final SnapshotMetadata meta;

    private final EventBus events;

    /**
     * A snapshotter called {@code name} under {@code root}, publishing its prepares, commits and removes
     * (containerd's {@code /snapshot/*} topics, with the snapshotter's name) on {@code events}.
     */
    protected LocalSnapshotter(String name, Path root, MetadataStore store, Clock clock, EventBus events) {
        this.events = events;
        this.name = name;
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot create snapshot directory %s: %s", this.root, e.getMessage());
        }
        this.meta = new SnapshotMetadata(store, name, clock);
    }

    /**
     * Fills a new snapshot directory {@code dir} (creating {@code dir/fs}) for a snapshot of
     * {@code kind} whose parents' {@code fs} directories are {@code parentFs}, nearest first.
     */
    protected abstract void populate(Path dir, Kind kind, List<Path> parentFs) throws IOException;

    /** The mounts showing snapshot {@code row}, whose parents' {@code fs} directories are {@code parentFs}. */
    protected abstract List<Mount> mounts(Row row, List<Path> parentFs);

    @Override
    public String name() {
        return name;
    }

    /** Where this snapshotter keeps its directories. */
    public Path root() {
        return root;
    }

    /** The directory holding the files of snapshot {@code key} (its upper directory for overlay). */
    public Path fsDir(String key) {
        return fsDir(read(key).id());
    }

    @Override
    public boolean filesPresent(String key) {
        return Files.isDirectory(fsDir(key));
    }

    protected Path fsDir(long id) {
        return root.resolve(Long.toString(id)).resolve("fs");
    }

    protected Path dir(long id) {
        return root.resolve(Long.toString(id));
    }

    @Override
    public SnapshotInfo stat(String key) {
        return read(key).info();
    }

    @Override
    public Optional<SnapshotInfo> find(String key) {
        return meta.store().read(c -> meta.find(c, key)).map(Row::info);
    }

    /** One indexed lookup of the row (a full {@link #find} also walks the parent chain and reads the labels). */
    @Override
    public boolean exists(String key) {
        return meta.store().read(c -> meta.exists(c, key));
    }

    @Override
    public SnapshotInfo updateLabels(String key, Map<String, String> labels) {
        return meta.store().inTransaction(c -> meta.updateLabels(c, key, labels)).info();
    }

    @Override
    public Usage usage(String key) {
        Row r = read(key);
        if (r.info().kind() == Kind.ACTIVE) {
            long[] u = FileTree.usage(fsDir(r.id()));
            return new Usage(u[0], u[1]);
        }
        return r.usage();
    }

    @Override
    public List<Mount> mounts(String key) {
        Row r = read(key);
        if (r.info().kind() == Kind.COMMITTED) {
            throw BerthException.precondition("snapshot %s is committed; only active snapshots and views have "
                    + "mounts (make a view of it)", key);
        }
        return mounts(r, parentDirs(r));
    }

    @Override
    public List<Mount> prepare(String key, String parent, Map<String, String> labels) {
        List<Mount> m = create(key, parent, Kind.ACTIVE, labels);
        prepared(key, parent);
        return m;
    }

    private void prepared(String key, String parent) {
        events.publish(EngineEvent.SNAPSHOT_PREPARE, Map.of("key", key, "parent", parent == null ? "" : parent,
                "snapshotter", name));
    }

    @Override
    public List<Mount> view(String key, String parent, Map<String, String> labels) {
        return create(key, parent, Kind.VIEW, labels);
    }

    /**
     * Whether {@link #prepareFrom} works here: true when a snapshot's own files never depend on its
     * parents' (overlay), false when a new snapshot starts as a copy of its parent (native).
     */
    public boolean acceptsPrebuilt() {
        return false;
    }

    /**
     * A new empty directory on the snapshotter's file system, for building a snapshot's files before
     * the snapshot exists (parallel unpack). The caller deletes it, or hands it to {@link #prepareFrom};
     * a crash leaves it for {@link #cleanup}.
     */
    public Path scratchDir() {
        try {
            Path d = Files.createTempDirectory(root, "new-");
            Sys.chmod(d, 0755);
            return d;
        } catch (IOException e) {
            throw BerthException.unavailable("cannot create a directory in %s: %s", root, e.getMessage());
        }
    }

    /**
     * Like {@link #prepare}, but the new active snapshot's files are the directory {@code prebuilt}
     * (from {@link #scratchDir}), moved into place instead of starting empty. NOT_IMPLEMENTED unless
     * {@link #acceptsPrebuilt()}.
     */
    public List<Mount> prepareFrom(String key, String parent, Map<String, String> labels, Path prebuilt) {
        if (!acceptsPrebuilt()) {
            throw new BerthException(ErrorCategory.NOT_IMPLEMENTED,
                    "snapshotter " + name + " cannot take prebuilt snapshot contents");
        }
        List<Mount> m = create(key, parent, Kind.ACTIVE, labels, prebuilt);
        prepared(key, parent);
        return m;
    }

    private List<Mount> create(String key, String parent, Kind kind, Map<String, String> labels) {
        return create(key, parent, kind, labels, null);
    }

    private List<Mount> create(String key, String parent, Kind kind, Map<String, String> labels, Path prebuilt) {
        List<Path> parentFs = parent == null || parent.isEmpty() ? List.of() : committedChain(key, parent);
        Path tmp;
        try {
            tmp = Files.createTempDirectory(root, "new-");
        } catch (IOException e) {
            throw BerthException.unavailable("cannot create a directory in %s: %s", root, e.getMessage());
        }
        try {
            populate(tmp, kind, parentFs);
            if (prebuilt != null) {
                Path fs = tmp.resolve("fs");
                FileTree.Stat st = FileTree.lstat(fs);
                Files.delete(fs);
                Files.move(prebuilt, fs, StandardCopyOption.ATOMIC_MOVE);
                Sys.lchown(fs, st.uid(), st.gid());
                Sys.chmod(fs, st.mode());
            }
            Row r = meta.store().inTransaction(c -> {
                Row row = meta.create(c, key, parent, kind, labels);
                try {
                    Files.move(tmp, dir(row.id()), StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw BerthException.internal("cannot move " + tmp + " to " + dir(row.id()) + ": " + e, e);
                }
                return row;
            });
            return mounts(r, parentDirs(r));
        } catch (IOException e) {
            FileTree.deleteRecursively(tmp);
            throw BerthException.internal("cannot prepare snapshot " + key + ": " + e, e);
        } catch (RuntimeException e) {
            FileTree.deleteRecursively(tmp);
            throw e;
        }
    }

    private List<Path> committedChain(String key, String parent) {
        Row p = meta.store().read(c -> {
            Row row = meta.get(c, parent);
            return row;
        });
        if (p.info().kind() != Kind.COMMITTED) {
            throw BerthException.precondition("parent %s of snapshot %s is %s; only committed snapshots can be "
                    + "parents (commit it first)", parent, key, p.info().kind().label());
        }
        List<Path> out = new ArrayList<>();
        out.add(fsDir(p.id()));
        for (long id : p.parentIds()) {
            out.add(fsDir(id));
        }
        return out;
    }

    @Override
    public void commit(String name, String key, Map<String, String> labels) {
        Row r = read(key);
        if (r.info().kind() != Kind.ACTIVE) {
            throw BerthException.precondition("snapshot %s is %s; only active snapshots can be committed",
                    key, r.info().kind().label());
        }
        long[] u = FileTree.usage(fsDir(r.id()));
        meta.store().inTransaction(c -> meta.commit(c, name, key, labels, new Usage(u[0], u[1])));
        events.publish(EngineEvent.SNAPSHOT_COMMIT, Map.of("key", key, "name", name, "snapshotter", this.name));
    }

    @Override
    public void remove(String key) {
        Row r = read(key);
        Path trash = root.resolve("rm-" + r.id());
        meta.store().inTransaction(c -> {
            meta.remove(c, key);
            MountTable.cleanUnder(dir(r.id()));
            try {
                if (Files.exists(dir(r.id()))) {
                    Files.move(dir(r.id()), trash, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw BerthException.internal("cannot move " + dir(r.id()) + " aside for removal: " + e, e);
            }
            return null;
        });
        FileTree.deleteRecursively(trash);
        events.publish(EngineEvent.SNAPSHOT_REMOVE, Map.of("key", key, "snapshotter", name));
    }

    @Override
    public void walk(Consumer<SnapshotInfo> fn) {
        for (Row r : meta.store().read(meta::list)) {
            fn.accept(r.info());
        }
    }

    @Override
    public void cleanup() {
        Set<String> known = new HashSet<>();
        for (Row r : meta.store().read(meta::list)) {
            known.add(Long.toString(r.id()));
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (!known.contains(p.getFileName().toString())) {
                    MountTable.cleanUnder(p);
                    FileTree.deleteRecursively(p);
                }
            }
        } catch (IOException e) {
            throw BerthException.internal("cannot list " + root + ": " + e, e);
        }
    }

    @Override
    public void close() {
        // the metadata store belongs to the engine
    }

    /** The record of {@code key} with its parent chain. */
    protected Row read(String key) {
        return meta.store().read(c -> meta.get(c, key));
    }

    private List<Path> parentDirs(Row r) {
        List<Path> out = new ArrayList<>();
        for (long id : r.parentIds()) {
            out.add(fsDir(id));
        }
        return out;
    }
}
