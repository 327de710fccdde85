package dev.berth.engine.unpack;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.diff.AppliedLayer;
import dev.berth.engine.diff.Applier;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.Images;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.snapshots.Kind;
import dev.berth.engine.snapshots.LocalSnapshotter;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.engine.snapshots.registry.Snapshotters;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks stored images into a snapshotter, as containerd's unpacker does: for each layer, bottom
 * first, the committed snapshot named by the layer's chainID is reused when it exists; otherwise an
 * active snapshot {@code extract-<random> <chainID>} is prepared on the previous chainID, the layer
 * is applied into it, its uncompressed digest checked against the config's diff_id, and it is
 * committed as the chainID. A failed layer removes its active snapshot, so nothing partial is left
 * and nothing is marked unpacked. Only after the whole stack is committed does the image's config
 * blob get the label {@code containerd.io/gc.ref.snapshot.<snapshotter>=<top chainID>}, which is
 * both containerd's GC reference and Berth's "unpacked" mark.
 *
 * <p>With overlayfs and a concurrency above 1, the missing layers are decompressed and applied at
 * the same time, each into a scratch upper directory, and then prepared, fixed up (attributes of
 * directories a layer made as parents come from the layers below) and committed bottom-up, so the
 * result is the same as applying them in order. Otherwise layers are applied one after the other
 * (containerd's default). Layers stream from the content store; nothing is decompressed to disk
 * first.
 *
 * <p>With a {@link LeaseManager}, each unpack holds a lease (expiring after 24 h, deleted when the
 * unpack ends) on the image's target blob and on every snapshot it reuses or creates, each added
 * before the snapshot is looked at, so garbage collection never removes half-done work.
 *
 * <p>Thread-safe: unpacks of images sharing layers serialise per chainID and reuse each other's
 * work.
 */
public final class Unpacker {
    private static final Logger LOG = LoggerFactory.getLogger(Unpacker.class);
    public static final String SNAPSHOT_REF_LABEL = "containerd.io/snapshot.ref";
    public static final String UNCOMPRESSED_LABEL = "containerd.io/uncompressed";
    public static final String GC_SNAPSHOT_LABEL = "containerd.io/gc.ref.snapshot.";

    private final ContentStore content;
    private final ImageStore images;
    private final Function<String, Snapshotter> snapshotters;
    private final Applier applier;
    private final int concurrency;
    private final LeaseManager leases;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    private final dev.berth.engine.transfer.TransferObserver observer;

    public Unpacker(ContentStore content, ImageStore images, Snapshotters snapshotters, Applier applier,
            int concurrency) {
        this(content, images, snapshotters::get, applier, concurrency, null);
    }

    public Unpacker(ContentStore content, ImageStore images, Function<String, Snapshotter> snapshotters,
            Applier applier, int concurrency) {
        this(content, images, snapshotters, applier, concurrency, null);
    }

    /**
     * @param concurrency layers applied at the same time when the snapshotter can take prebuilt
     *                    layers (overlayfs); 1 applies them one after another, as containerd does by
     *                    default
     * @param leases      where unpacks hold their leases (null: no leases)
     */
    public Unpacker(ContentStore content, ImageStore images, Function<String, Snapshotter> snapshotters,
            Applier applier, int concurrency, LeaseManager leases) {
        this(content, images, snapshotters, applier, concurrency, leases, new dev.berth.engine.transfer.TransferObserver() {
        });
    }

    /** An unpacker that also tells {@code observer} of each unpack that finishes. */
    public Unpacker(ContentStore content, ImageStore images, Function<String, Snapshotter> snapshotters,
            Applier applier, int concurrency, LeaseManager leases, dev.berth.engine.transfer.TransferObserver observer) {
        this.observer = observer;
        this.content = content;
        this.images = images;
        this.snapshotters = snapshotters;
        this.applier = applier;
        this.concurrency = Math.max(1, concurrency);
        this.leases = leases;
    }

    /** What one unpack did. Immutable. */
    public record Result(String image, String snapshotter, Digest chainId, List<Layer> layers) {
        /** Layers applied now (the others were already unpacked). */
        public long applied() {
            return layers.stream().filter(Layer::applied).count();
        }
    }

    /** One layer of an unpack: its chainID, diffID, whether it was applied now, and its uncompressed size. */
    public record Layer(Digest chainId, Digest diffId, boolean applied, long uncompressedSize) {
    }

    /** Unpacks image record {@code name} for the best platform {@code matcher} accepts. Idempotent. */
    public Result unpack(String name, String snapshotterName, PlatformMatcher matcher) {
        long start = System.nanoTime();
        Result r = unpackTimed(name, snapshotterName, matcher);
        observer.unpacked(name, snapshotterName, r.applied(), java.time.Duration.ofNanos(System.nanoTime() - start));
        return r;
    }

    private Result unpackTimed(String name, String snapshotterName, PlatformMatcher matcher) {
        Snapshotter sn = snapshotters.apply(snapshotterName);
        try (LeaseManager.Held lease = leases == null ? null : leases.createTemporary("unpack", Duration.ofHours(24))) {
            Image image = images.get(name);
            hold(lease, LeaseResource.content(image.target().digest()));
            ResolvedImage r = Images.resolve(content, image.target(), matcher);
            for (Digest c : r.chainIds()) {
                hold(lease, LeaseResource.snapshot(sn.name(), c.toString()));
            }
            List<Layer> done = new ArrayList<>();
            List<Descriptor> layers = r.layers();
            long missing = r.chainIds().stream().filter(c -> !committed(sn, c.toString())).count();
            if (concurrency > 1 && missing > 1 && sn instanceof LocalSnapshotter ls && ls.acceptsPrebuilt()) {
                done.addAll(unpackParallel(ls, name, r, lease));
            } else {
                for (int i = 0; i < layers.size(); i++) {
                    Digest chain = r.chainIds().get(i);
                    String parent = i == 0 ? null : r.chainIds().get(i - 1).toString();
                    done.add(unpackLayer(sn, name, layers.get(i), r.diffIds().get(i), chain, parent, lease));
                }
            }
            Digest top = r.topChainId();
            if (top != null) {
                content.setLabel(r.configDescriptor().digest(), GC_SNAPSHOT_LABEL + sn.name(), top.toString());
            }
            return new Result(name, sn.name(), top, done);
        }
    }

    private static void hold(LeaseManager.Held lease, LeaseResource r) {
        if (lease != null) {
            lease.add(r);
        }
    }

    /**
     * Whether image {@code name} is unpacked in {@code snapshotterName}: its config carries the mark
     * and the top snapshot exists, committed.
     */
    public boolean isUnpacked(String name, String snapshotterName, PlatformMatcher matcher) {
        Image image = images.get(name);
        ResolvedImage r = Images.resolve(content, image.target(), matcher);
        Snapshotter sn = snapshotters.apply(snapshotterName);
        if (r.topChainId() == null) {
            return true;
        }
        String mark = content.info(r.configDescriptor().digest()).labels().get(GC_SNAPSHOT_LABEL + sn.name());
        return r.topChainId().toString().equals(mark) && committed(sn, r.topChainId().toString());
    }

    private Layer unpackLayer(Snapshotter sn, String image, Descriptor layer, Digest diffId, Digest chain,
            String parent, LeaseManager.Held lease) {
        String chainName = chain.toString();
        ReentrantLock lock = locks.computeIfAbsent(sn.name() + "/" + chainName, k -> new ReentrantLock());
        lock.lock();
        try {
            if (committed(sn, chainName)) {
                return new Layer(chain, diffId, false, 0);
            }
            String key = extractKey(chainName);
            hold(lease, LeaseResource.snapshot(sn.name(), key));
            List<Mount> mounts = sn.prepare(key, parent, labels(chainName, diffId, parent));
            try {
                AppliedLayer applied;
                try (InputStream in = content.open(layer.digest())) {
                    applied = applier.apply(layer, in, mounts);
                } catch (IOException e) {
                    throw BerthException.internal("reading layer " + layer.digest() + ": " + e.getMessage(), e);
                }
                verifyDiffId(image, layer, applied, diffId);
                sn.commit(chainName, key, null);
                return committedLayer(sn, image, layer, applied, chain, diffId);
            } catch (RuntimeException e) {
                removeQuietly(sn, key, e);
                if (e instanceof BerthException be && be.category() == ErrorCategory.ALREADY_EXISTS
                        && committed(sn, chainName)) {
                    return new Layer(chain, diffId, false, 0);
                }
                throw e instanceof BerthException be ? be.wrap("unpacking " + image + " into " + sn.name()) : e;
            }
        } finally {
            lock.unlock();
        }
    }

    private List<Layer> unpackParallel(LocalSnapshotter sn, String image, ResolvedImage r, LeaseManager.Held lease) {
        List<Descriptor> layers = r.layers();
        List<ReentrantLock> held = new ArrayList<>();
        try {
            for (Digest c : r.chainIds()) {
                ReentrantLock lock = locks.computeIfAbsent(sn.name() + "/" + c, k -> new ReentrantLock());
                lock.lock();
                held.add(lock);
            }
            boolean[] need = new boolean[layers.size()];
            int count = 0;
            for (int i = 0; i < need.length; i++) {
                need[i] = !committed(sn, r.chainIds().get(i).toString());
                count += need[i] ? 1 : 0;
            }
            List<Layer> done = new ArrayList<>();
            try (ParallelLayers p = new ParallelLayers(Math.min(concurrency, count), layers.size())) {
                for (int i = 0; i < need.length; i++) {
                    if (need[i]) {
                        p.start(i, sn, content, applier, layers.get(i));
                    }
                }
                for (int i = 0; i < need.length; i++) {
                    Digest chain = r.chainIds().get(i);
                    Digest diffId = r.diffIds().get(i);
                    if (!need[i]) {
                        done.add(new Layer(chain, diffId, false, 0));
                        continue;
                    }
                    ParallelLayers.Built b = p.take(i);
                    try {
                        verifyDiffId(image, layers.get(i), b.applied(), diffId);
                        String parent = i == 0 ? null : r.chainIds().get(i - 1).toString();
                        String key = extractKey(chain.toString());
                        hold(lease, LeaseResource.snapshot(sn.name(), key));
                        List<Mount> mounts = sn.prepareFrom(key, parent, labels(chain.toString(), diffId, parent), b.dir());
                        try {
                            ParallelLayers.fixParents(b, mounts);
                            sn.commit(chain.toString(), key, null);
                        } catch (RuntimeException e) {
                            removeQuietly(sn, key, e);
                            throw e;
                        }
                        done.add(committedLayer(sn, image, layers.get(i), b.applied(), chain, diffId));
                    } finally {
                        FileTree.deleteRecursively(b.dir());
                    }
                }
            }
            return done;
        } catch (BerthException e) {
            throw e.wrap("unpacking " + image + " into " + sn.name());
        } finally {
            for (int i = held.size() - 1; i >= 0; i--) {
                held.get(i).unlock();
            }
        }
    }

    private String extractKey(String chain) {
        return "extract-" + HexFormat.of().formatHex(randomBytes()) + " " + chain;
    }

    private static Map<String, String> labels(String chain, Digest diffId, String parent) {
        return parent == null
                ? Map.of(SNAPSHOT_REF_LABEL, chain, "containerd.io/snapshot/diff-id", diffId.toString())
                : Map.of(SNAPSHOT_REF_LABEL, chain, "containerd.io/snapshot/diff-id", diffId.toString(),
                        "containerd.io/snapshot/parent-chain-id", parent);
    }

    private static void verifyDiffId(String image, Descriptor layer, AppliedLayer applied, Digest diffId) {
        if (!applied.diffId().equals(diffId)) {
            throw BerthException.precondition("layer %s of image %s uncompresses to %s but the image config "
                    + "lists diff_id %s: the layer or the config is corrupt; delete and pull the image again",
                    layer.digest(), image, applied.diffId(), diffId);
        }
    }

    private Layer committedLayer(Snapshotter sn, String image, Descriptor layer, AppliedLayer applied, Digest chain,
            Digest diffId) {
        try {
            content.setLabel(layer.digest(), UNCOMPRESSED_LABEL, diffId.toString());
        } catch (BerthException e) {
            LOG.warn("could not label layer {}: {}", layer.digest(), e.getMessage());
        }
        LOG.info("unpacked layer {} of {} into {} as {} ({} bytes, {} entries)", layer.digest(), image,
                sn.name(), chain, applied.uncompressedSize(), applied.entries());
        return new Layer(chain, diffId, true, applied.uncompressedSize());
    }

    private byte[] randomBytes() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return b;
    }

    private static boolean committed(Snapshotter sn, String name) {
        try {
            SnapshotInfo info = sn.stat(name);
            return info.kind() == Kind.COMMITTED;
        } catch (BerthException e) {
            if (e.category() == ErrorCategory.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    private static void removeQuietly(Snapshotter sn, String key, RuntimeException cause) {
        try {
            sn.remove(key);
        } catch (RuntimeException e) {
            if (!BerthException.is(e, ErrorCategory.NOT_FOUND)) {
                cause.addSuppressed(e);
            }
        }
    }
}
