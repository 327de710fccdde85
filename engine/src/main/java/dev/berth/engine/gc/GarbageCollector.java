package dev.berth.engine.gc;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.Info;
import dev.berth.engine.content.Status;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.gc.GcResult.Kind;
import dev.berth.engine.gc.GcResult.Removed;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.leases.Lease;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.sandbox.PauseImages;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.snapshots.Snapshotter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mark and sweep over the engine's objects, as containerd's metadata GC.
 *
 * <p><b>Roots</b>: image records (unless their {@code containerd.io/gc.expire} has passed: those
 * records are removed, except a pinned one, {@link PauseImages#PINNED_LABEL}); blobs and snapshots labelled {@code containerd.io/gc.root}; every object held
 * by a live lease; active and view snapshots (containers' root file systems), except the unpacker's
 * extraction snapshots (labelled {@code containerd.io/snapshot.ref}), which only their unpack's lease
 * holds. <b>Edges</b>: image → target blob; snapshot → parent; the {@link GcLabels} references and
 * back-references of blobs, snapshots and images (flat leases hold their objects without following
 * labels). <b>Sweep</b>: expired images and leases, unreferenced snapshots (children before
 * parents), unreferenced blobs, and ingests neither leased nor written to for {@code ingestMaxAge}
 * (containerd: 24 h). One failed removal is reported and does not stop the others.
 *
 * <p>Marking reads every record inside one hold of the metadata store, so it sees one consistent
 * state; the whole collection runs inside {@link LeaseManager#frozen}, so work that adds an object to
 * its lease before using it is never swept from under it. Thread-safe: collections run one at a time.
 */
public final class GarbageCollector {
    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
    /** The unpacker's label on the active snapshots it extracts layers into. */
    public static final String EXTRACT_LABEL = "containerd.io/snapshot.ref";
    public static final Duration DEFAULT_INGEST_MAX_AGE = Duration.ofHours(24);

    private final MetadataStore md;
    private final ContentStore content;
    private final ImageStore images;
    private final List<String> snapshotterNames;
    private final Function<String, Snapshotter> snapshotters;
    private final LeaseManager leases;
    private final Clock clock;
    private final Duration ingestMaxAge;
    private final List<java.util.function.Consumer<GcResult>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public GarbageCollector(MetadataStore md, ContentStore content, ImageStore images, List<String> snapshotterNames,
            Function<String, Snapshotter> snapshotters, LeaseManager leases, Clock clock, Duration ingestMaxAge) {
        this.md = md;
        this.content = content;
        this.images = images;
        this.snapshotterNames = List.copyOf(snapshotterNames);
        this.snapshotters = snapshotters;
        this.leases = leases;
        this.clock = clock;
        this.ingestMaxAge = ingestMaxAge;
    }

    /**
     * Calls {@code listener} after every collection that is not a dry run, whoever asked for it
     * (schedule, API, CLI, gRPC), on the collecting thread; keep it short. Returns a handle that
     * removes it.
     */
    public AutoCloseable onCollected(java.util.function.Consumer<GcResult> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** What the mark phase found to remove. */
    private record Plan(List<Image> expiredImages, List<Lease> expiredLeases, Map<String, List<SnapshotInfo>> snapshots,
            List<Info> blobs, List<Status> ingests) {
    }

    /** Everything read for one mark, in one consistent view. */
    private record State(Map<String, Info> blobs, Map<String, Image> images, List<Lease> leases,
            Map<String, List<LeaseResource>> resources, Map<GcNode, SnapshotInfo> snapshots,
            Map<String, List<String>> imageContent) {
    }

    /**
     * Collects garbage, or with {@code dryRun} only reports what a collection would remove now.
     * Returns the removed objects with their sizes.
     */
    public synchronized GcResult collect(boolean dryRun) {
        long start = System.nanoTime();
        return leases.frozen(() -> {
            Instant now = clock.instant();
            Plan plan = md.read(c -> mark(read(), now));
            List<Removed> removed = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            sweep(plan, dryRun, removed, failures);
            GcResult r = new GcResult(dryRun, removed, failures, Duration.ofNanos(System.nanoTime() - start));
            if (!dryRun) {
                for (var l : listeners) {
                    try {
                        l.accept(r);
                    } catch (RuntimeException e) {
                        LOG.warn("garbage collection listener failed", e);
                    }
                }
            }
            if (!dryRun && (!removed.isEmpty() || !failures.isEmpty())) {
                LOG.info("garbage collection removed {} objects ({} bytes) in {} ms{}", removed.size(), r.bytes(),
                        r.took().toMillis(), failures.isEmpty() ? "" : "; failures: " + failures);
            }
            return r;
        });
    }

    private State read() {
        Map<String, Info> blobs = new LinkedHashMap<>();
        content.walk(i -> true, i -> blobs.put(i.digest().toString(), i));
        Map<String, Image> imgs = new LinkedHashMap<>();
        images.list().forEach(i -> imgs.put(i.name(), i));
        List<Lease> ls = leases.list();
        Map<String, List<LeaseResource>> res = new HashMap<>();
        ls.forEach(l -> res.put(l.id(), leases.resources(l.id())));
        Map<GcNode, SnapshotInfo> snaps = new LinkedHashMap<>();
        for (String n : snapshotterNames) {
            snapshotters.apply(n).walk(s -> snaps.put(GcNode.snapshot(n, s.name()), s));
        }
        // Besides containerd's labels, an image keeps every blob its manifests name that is present:
        // an image whose blobs were written without child labels (older tools, hand-made stores)
        // must not lose its layers to a collection.
        Map<String, List<String>> walked = new HashMap<>();
        for (Image i : imgs.values()) {
            List<String> children = new ArrayList<>();
            try {
                dev.berth.engine.images.Images.walk(content, i.target(), dev.berth.engine.images.Platforms.all(), true,
                        d -> children.add(d.digest().toString()));
            } catch (RuntimeException e) {
                LOG.debug("cannot walk image {} for collection: {}", i.name(), e.toString());
            }
            walked.put(i.name(), children);
        }
        return new State(blobs, imgs, ls, res, snaps, walked);
    }

    private Plan mark(State s, Instant now) {
        Map<GcNode, List<GcNode>> brefs = new HashMap<>();
        s.blobs.values().forEach(i -> backRefs(brefs, GcNode.content(i.digest().toString()), i.labels()));
        s.images.values().forEach(i -> backRefs(brefs, GcNode.image(i.name()), i.labels()));
        s.snapshots.forEach((n, i) -> backRefs(brefs, n, i.labels()));

        Deque<GcNode> roots = new ArrayDeque<>();
        List<GcNode> flatRoots = new ArrayList<>();
        List<Image> expiredImages = new ArrayList<>();
        for (Image i : s.images.values()) {
            // a pinned image (the configured sandbox image) is kept whatever its expiry says
            if (expired(i.labels().get(GcLabels.EXPIRE), now)
                    && !PauseImages.PINNED.equals(i.labels().get(PauseImages.PINNED_LABEL))) {
                expiredImages.add(i);
            } else {
                roots.add(GcNode.image(i.name()));
            }
        }
        s.blobs.values().stream().filter(i -> GcLabels.isRoot(i.labels()))
                .forEach(i -> roots.add(GcNode.content(i.digest().toString())));
        s.snapshots.forEach((n, i) -> {
            boolean inUse = i.kind() != dev.berth.engine.snapshots.Kind.COMMITTED && !i.labels().containsKey(EXTRACT_LABEL);
            if (inUse || GcLabels.isRoot(i.labels())) {
                roots.add(n);
            }
        });
        List<Lease> expiredLeases = new ArrayList<>();
        Set<String> leasedIngests = new HashSet<>();
        for (Lease l : s.leases) {
            if (l.expired(now)) {
                expiredLeases.add(l);
                continue;
            }
            for (LeaseResource r : s.resources.get(l.id())) {
                GcNode n = r.type().equals(LeaseResource.CONTENT) ? GcNode.content(r.id())
                        : r.type().equals(LeaseResource.INGESTS) ? null : GcNode.snapshot(r.snapshotter(), r.id());
                if (n == null) {
                    leasedIngests.add(r.id());
                } else if (l.flat()) {
                    flatRoots.add(n);
                } else {
                    roots.add(n);
                }
            }
        }

        Set<GcNode> marked = new HashSet<>();
        while (!roots.isEmpty()) {
            GcNode n = roots.pop();
            if (marked.add(n)) {
                roots.addAll(edges(s, brefs, n, true));
            }
        }
        for (GcNode n : flatRoots) {
            for (GcNode p = n; p != null && marked.add(p); ) {
                List<GcNode> parent = p.type() == GcNode.Type.SNAPSHOT ? edges(s, brefs, p, false) : List.of();
                p = parent.isEmpty() ? null : parent.get(0);
            }
        }

        Map<String, List<SnapshotInfo>> snaps = new LinkedHashMap<>();
        Map<GcNode, Integer> depth = new HashMap<>();
        s.snapshots.forEach((n, i) -> {
            if (!marked.contains(n)) {
                snaps.computeIfAbsent(n.snapshotter(), k -> new ArrayList<>()).add(i);
            }
        });
        for (Map.Entry<String, List<SnapshotInfo>> e : snaps.entrySet()) {
            String sn = e.getKey();
            e.getValue().sort(Comparator.comparingInt((SnapshotInfo i) -> -depth(s, depth, GcNode.snapshot(sn, i.name())))
                    .thenComparing(SnapshotInfo::name));
        }
        List<Info> blobs = s.blobs.values().stream().filter(i -> !marked.contains(GcNode.content(i.digest().toString())))
                .toList();
        Instant cutoff = now.minus(ingestMaxAge);
        List<Status> ingests = content.statuses().stream()
                .filter(st -> st.updatedAt().isBefore(cutoff) && !leasedIngests.contains(st.ref())).toList();
        return new Plan(expiredImages, expiredLeases, snaps, blobs, ingests);
    }

    private static void backRefs(Map<GcNode, List<GcNode>> brefs, GcNode node, Map<String, String> labels) {
        for (GcNode from : GcLabels.backReferences(labels)) {
            brefs.computeIfAbsent(from, k -> new ArrayList<>()).add(node);
        }
    }

    /** The nodes {@code n} references: its natural edges first, then (when asked) its labels'. */
    private static List<GcNode> edges(State s, Map<GcNode, List<GcNode>> brefs, GcNode n, boolean labels) {
        List<GcNode> out = new ArrayList<>();
        Map<String, String> l = Map.of();
        switch (n.type()) {
            case CONTENT -> {
                Info i = s.blobs.get(n.name());
                l = i == null ? Map.of() : i.labels();
            }
            case IMAGE -> {
                Image i = s.images.get(n.name());
                if (i != null) {
                    out.add(GcNode.content(i.target().digest().toString()));
                    s.imageContent.getOrDefault(n.name(), List.of()).forEach(d -> out.add(GcNode.content(d)));
                    l = i.labels();
                }
            }
            case SNAPSHOT -> {
                SnapshotInfo i = s.snapshots.get(n);
                if (i != null) {
                    if (i.parent() != null) {
                        out.add(GcNode.snapshot(n.snapshotter(), i.parent()));
                    }
                    l = i.labels();
                }
            }
        }
        if (labels) {
            out.addAll(GcLabels.references(l));
            out.addAll(brefs.getOrDefault(n, List.of()));
        }
        return out;
    }

    private static int depth(State s, Map<GcNode, Integer> memo, GcNode n) {
        Integer d = memo.get(n);
        if (d != null) {
            return d;
        }
        SnapshotInfo i = s.snapshots.get(n);
        int v = i == null || i.parent() == null ? 0 : 1 + depth(s, memo, GcNode.snapshot(n.snapshotter(), i.parent()));
        memo.put(n, v);
        return v;
    }

    private static boolean expired(String rfc3339, Instant now) {
        if (rfc3339 == null) {
            return false;
        }
        return new Lease("x", now, Map.of(Lease.EXPIRE_LABEL, rfc3339)).expired(now);
    }

    private void sweep(Plan p, boolean dryRun, List<Removed> removed, List<String> failures) {
        for (Image i : p.expiredImages) {
            remove(dryRun, removed, failures, new Removed(Kind.IMAGE, null, i.name(), 0), () -> images.delete(i.name()));
        }
        for (Lease l : p.expiredLeases) {
            remove(dryRun, removed, failures, new Removed(Kind.LEASE, null, l.id(), 0), () -> leases.delete(l.id()));
        }
        for (Map.Entry<String, List<SnapshotInfo>> e : p.snapshots.entrySet()) {
            Snapshotter sn = snapshotters.apply(e.getKey());
            for (SnapshotInfo i : e.getValue()) {
                long size;
                try {
                    size = sn.usage(i.name()).size();
                } catch (BerthException ex) {
                    size = 0;
                }
                remove(dryRun, removed, failures, new Removed(Kind.SNAPSHOT, sn.name(), i.name(), size),
                        () -> sn.remove(i.name()));
            }
        }
        for (Info i : p.blobs) {
            remove(dryRun, removed, failures, new Removed(Kind.CONTENT, null, i.digest().toString(), i.size()),
                    () -> content.delete(i.digest()));
        }
        for (Status st : p.ingests) {
            remove(dryRun, removed, failures, new Removed(Kind.INGEST, null, st.ref(), st.offset()), () -> {
                try {
                    content.abort(st.ref());
                } catch (BerthException e) {
                    if (e.category() != ErrorCategory.LOCKED) {
                        throw e;
                    }
                    throw new Skip();
                }
            });
        }
    }

    /** Thrown by a removal that turned out not to apply (the object came back into use). */
    private static final class Skip extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Skip() {
            super(null, null, false, false);
        }
    }

    private static void remove(boolean dryRun, List<Removed> removed, List<String> failures, Removed what, Runnable op) {
        if (dryRun) {
            removed.add(what);
            return;
        }
        try {
            op.run();
            removed.add(what);
        } catch (Skip s) {
            // in use again: not garbage
        } catch (BerthException e) {
            if (e.category() == ErrorCategory.NOT_FOUND) {
                return;
            }
            failures.add(what + ": " + e.getMessage());
            LOG.warn("garbage collection could not remove {}: {}", what, e.getMessage());
        }
    }
}
