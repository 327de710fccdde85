package dev.berth.engine.content.local;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.content.Info;
import dev.berth.engine.content.Status;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The content store on a local filesystem, containerd's layout under {@code <root>/content}:
 * {@code blobs/<alg>/<hex>} (mode 0444 once committed) and {@code ingest/<sha256(ref)>/}. Blob
 * records and labels live in the metadata store. On open, blob files and records are reconciled
 * (a crash between the rename and the record insert leaves a file without a record) and ingests
 * older than {@link #STALE_INGEST_AGE} are aborted. Thread-safe.
 */
public final class LocalContentStore implements ContentStore {
    /** Ingests untouched this long are aborted when the store opens (containerd expires unleased ingests after 24 h). */
    public static final Duration STALE_INGEST_AGE = Duration.ofHours(24);

    private final Path root;
    private final Path blobs;
    private final Path ingests;
    private final BlobIndex index;
    private final Clock clock;
    private final Map<String, Instant> locks = new ConcurrentHashMap<>();
    private final Object commitLock = new Object();

    private final EventBus events;

    private LocalContentStore(Path root, MetadataStore md, Clock clock, EventBus events) {
        this.events = events;
        this.root = root;
        this.blobs = root.resolve("blobs");
        this.ingests = root.resolve("ingest");
        this.index = new BlobIndex(md);
        this.clock = clock;
    }

    /** Opens the store rooted at {@code root} (normally {@code <berth root>/content}), creating it. */
    public static LocalContentStore open(Path root, MetadataStore md, Clock clock) {
        return open(root, md, clock, EventBus.NONE);
    }

    /** {@link #open(Path, MetadataStore, Clock)} publishing each delete ({@code /content/delete}) on {@code events}. */
    public static LocalContentStore open(Path root, MetadataStore md, Clock clock, EventBus events) {
        LocalContentStore s = new LocalContentStore(root, md, clock, events);
        try {
            Files.createDirectories(s.blobs.resolve("sha256"));
            Files.createDirectories(s.ingests);
            s.reconcile();
            s.cleanupStale(STALE_INGEST_AGE);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot open content store %s: %s", root, e.getMessage());
        }
        return s;
    }

    public Path root() {
        return root;
    }

    Clock clock() {
        return clock;
    }

    /** The file of a committed blob (for diagnostics and tests; readers use {@link #open}). */
    public Path blobPath(Digest d) {
        return blobs.resolve(d.algorithm()).resolve(d.hex());
    }

    private void reconcile() throws IOException {
        Set<Digest> onDisk = new HashSet<>();
        try (DirectoryStream<Path> algs = Files.newDirectoryStream(blobs)) {
            for (Path alg : algs) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(alg)) {
                    for (Path f : files) {
                        try {
                            onDisk.add(new Digest(alg.getFileName().toString(), f.getFileName().toString()));
                        } catch (BerthException e) {
                            // not a blob name: leave foreign files alone
                        }
                    }
                }
            }
        }
        Set<Digest> recorded = new HashSet<>();
        for (Info i : index.all()) {
            recorded.add(i.digest());
            if (!onDisk.contains(i.digest())) {
                index.delete(i.digest());
            }
        }
        for (Digest d : onDisk) {
            if (!recorded.contains(d)) {
                Path f = blobPath(d);
                index.put(d, Files.size(f), Files.getLastModifiedTime(f).toInstant(), Map.of());
            }
        }
    }

    // ---- provider

    @Override
    public InputStream open(Digest digest, long offset) {
        Path f = blobPath(digest);
        try {
            FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
            long size = ch.size();
            if (offset < 0 || offset > size) {
                ch.close();
                throw BerthException.invalid("offset %d is outside content %s of %d bytes", offset, digest, size);
            }
            ch.position(offset);
            return Channels.newInputStream(ch);
        } catch (NoSuchFileException e) {
            throw BerthException.notFound("content %s not found in %s", digest, root);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read content %s: %s", digest, e.getMessage());
        }
    }

    // ---- ingester

    @Override
    public ContentWriter writer(String ref, Descriptor expected) {
        if (ref == null || ref.isEmpty()) {
            throw BerthException.invalid("an ingest ref must not be empty");
        }
        if (expected != null && expected.digest() != null && exists(expected.digest())) {
            throw BerthException.alreadyExists("content %s already exists", expected.digest());
        }
        lock(ref);
        try {
            return LocalWriter.open(this, ref, new IngestDir(ingests, ref), expected == null ? 0 : expected.size());
        } catch (IOException e) {
            unlock(ref);
            throw BerthException.unavailable("cannot open ingest %s under %s: %s", ref, ingests, e.getMessage());
        } catch (RuntimeException e) {
            unlock(ref);
            throw e;
        }
    }

    private void lock(String ref) {
        Instant now = clock.instant();
        Instant since = locks.putIfAbsent(ref, now);
        if (since != null) {
            throw new BerthException(ErrorCategory.LOCKED, "ref " + ref + " locked for "
                    + Duration.between(since, now).toMillis() + "ms (since " + since
                    + "): another writer is ingesting it; retry when it finishes");
        }
    }

    void unlock(String ref) {
        locks.remove(ref);
    }

    /** Moves verified ingest data into the blob directory and records it; called by the writer. */
    void commitIngest(IngestDir ingest, Digest d, long size, Map<String, String> labels) {
        Path target = blobPath(d);
        Instant now = clock.instant();
        try {
            synchronized (commitLock) {
                Files.createDirectories(target.getParent());
                if (Files.exists(target)) {
                    ingest.delete();
                    throw BerthException.alreadyExists("content %s already exists", d);
                }
                IngestDir.setTimes(ingest.data(), now);
                Files.setPosixFilePermissions(ingest.data(), PosixFilePermissions.fromString("r--r--r--"));
                try {
                    Files.move(ingest.data(), target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw BerthException.unavailable("content store %s: ingest and blob directories must be on one "
                            + "filesystem for an atomic rename", root);
                }
                syncDir(target.getParent());
                index.put(d, size, now, labels);
            }
            ingest.delete();
        } catch (IOException e) {
            throw BerthException.unavailable("committing %s to %s: %s", d, target, e.getMessage());
        }
    }

    private static void syncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    // ---- manager

    @Override
    public boolean exists(Digest digest) {
        return Files.exists(blobPath(digest));
    }

    @Override
    public Info info(Digest digest) {
        return index.get(digest).filter(i -> exists(digest))
                .orElseThrow(() -> BerthException.notFound("content %s not found in %s", digest, root));
    }

    @Override
    public Info update(Digest digest, Map<String, String> labels, Set<String> fieldPaths) {
        if (!exists(digest)) {
            throw BerthException.notFound("content %s not found in %s", digest, root);
        }
        return index.update(digest, labels, fieldPaths, clock.instant())
                .orElseThrow(() -> BerthException.notFound("content %s not found in %s", digest, root));
    }

    @Override
    public void walk(Predicate<Info> filter, Consumer<Info> fn) {
        for (Info i : index.all()) {
            if (filter.test(i)) {
                fn.accept(i);
            }
        }
    }

    @Override
    public void delete(Digest digest) {
        boolean file;
        try {
            synchronized (commitLock) {
                file = Files.deleteIfExists(blobPath(digest));
                if (file) {
                    syncDir(blobPath(digest).getParent());
                }
            }
        } catch (IOException e) {
            throw BerthException.unavailable("deleting content %s: %s", digest, e.getMessage());
        }
        boolean row = index.delete(digest);
        if (!file && !row) {
            throw BerthException.notFound("content %s not found in %s", digest, root);
        }
        events.publish(EngineEvent.CONTENT_DELETE, Map.of("digest", digest.toString()));
    }

    @Override
    public void verify(Digest digest) {
        MessageDigest md = digest.newHasher();
        try (InputStream in = open(digest)) {
            byte[] buf = new byte[1 << 20];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
        } catch (IOException e) {
            throw BerthException.unavailable("reading content %s: %s", digest, e.getMessage());
        }
        Digest actual = Digest.of(digest.algorithm(), md.digest());
        if (!actual.equals(digest)) {
            throw BerthException.precondition("content %s is corrupt: its bytes hash to %s (file %s); delete it "
                    + "and pull or import the image again", digest, actual, blobPath(digest));
        }
    }

    // ---- ingests

    @Override
    public List<Status> statuses() {
        List<Status> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(ingests)) {
            for (Path d : dirs) {
                try {
                    out.add(IngestDir.at(d).status());
                } catch (IOException | RuntimeException e) {
                    // an ingest being created or removed right now, or broken state: not reported
                }
            }
        } catch (IOException e) {
            throw BerthException.unavailable("listing ingests in %s: %s", ingests, e.getMessage());
        }
        out.sort(Comparator.comparing(Status::ref));
        return out;
    }

    @Override
    public Status status(String ref) {
        IngestDir d = new IngestDir(ingests, ref);
        try {
            return d.status();
        } catch (NoSuchFileException e) {
            throw BerthException.notFound("no ingest with ref %s", ref);
        } catch (IOException | RuntimeException e) {
            throw BerthException.unavailable("reading ingest %s: %s", ref, e.getMessage());
        }
    }

    @Override
    public void abort(String ref) {
        lock(ref);
        try {
            IngestDir d = new IngestDir(ingests, ref);
            if (!d.exists()) {
                throw BerthException.notFound("no ingest with ref %s", ref);
            }
            d.delete();
        } catch (IOException e) {
            throw BerthException.unavailable("removing ingest %s: %s", ref, e.getMessage());
        } finally {
            unlock(ref);
        }
    }

    @Override
    public List<String> cleanupStale(Duration maxAge) {
        Instant cutoff = clock.instant().minus(maxAge);
        List<String> removed = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(ingests)) {
            for (Path p : dirs) {
                IngestDir d = IngestDir.at(p);
                String ref;
                Instant updated;
                try {
                    Status s = d.status();
                    ref = s.ref();
                    updated = s.updatedAt();
                } catch (IOException | RuntimeException e) {
                    ref = null;
                    updated = Files.getLastModifiedTime(p).toInstant();
                }
                if (!updated.isBefore(cutoff) || (ref != null && locks.containsKey(ref))) {
                    continue;
                }
                if (ref != null) {
                    try {
                        abort(ref);
                        removed.add(ref);
                    } catch (BerthException e) {
                        // taken by a writer meanwhile, or already gone
                    }
                } else {
                    d.delete();
                    removed.add(p.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cleaning ingests in %s: %s", ingests, e.getMessage());
        }
        return removed;
    }
}
