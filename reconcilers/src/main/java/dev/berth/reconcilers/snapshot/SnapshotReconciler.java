package dev.berth.reconcilers.snapshot;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.image.Image;
import dev.berth.crd.snapshot.Snapshot;
import dev.berth.crd.snapshot.SnapshotKind;
import dev.berth.crd.snapshot.SnapshotSpec;
import dev.berth.crd.snapshot.SnapshotStatus;
import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.snapshots.Kind;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.reconcilers.Cleaner;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Drift;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Outcome;
import dev.berth.reconcilers.Readiness;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import dev.berth.reconcilers.Steps;
import dev.berth.reconcilers.image.ImageReconciler;
import dev.berth.reconcilers.image.SnapshotChains;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a {@link Snapshot} object's snapshot on the node: an active (writable) or view snapshot
 * keyed {@code snapshot/<namespace>/<name>} on top of its Image's unpacked layers, and, with
 * {@code spec.mountPath}, mounted there.
 *
 * <p>Drift it repairs: the mount gone (remounted), the snapshot's directory deleted (snapshot
 * recreated, re-unpacking damaged layers first), a changed mountPath (old path unmounted; the path in
 * force is kept in the snapshot label {@value #MOUNT_LABEL}). Deleting the object unmounts and
 * removes the snapshot. Steps: check spec → await image → ensure snapshot → ensure mount → report.
 * Thread-safe.
 */
public final class SnapshotReconciler implements Reconciler<Snapshot>, Cleaner<Snapshot> {
    static final String MOUNT_LABEL = "berth.dev/mount-path";
    static final String OWNER_LABEL = "berth.dev/owner";
    private static final Duration USAGE_EVERY = Duration.ofMinutes(5);

    private final Engine engine;
    private final ObjectLookup lookup;
    private final EventSink events;
    private final Map<String, Instant> usageAt = new ConcurrentHashMap<>();

    public SnapshotReconciler(Engine engine, ObjectLookup lookup, EventSink events) {
        this.engine = engine;
        this.lookup = lookup;
        this.events = events;
    }

    @Override
    public Class<Snapshot> kind() {
        return Snapshot.class;
    }

    /** The snapshotter key of a Snapshot object. */
    public static String key(Snapshot s) {
        return "snapshot/" + ObjectRef.of(s).namespace() + "/" + s.getMetadata().getName();
    }

    @Override
    public Outcome<SnapshotStatus> reconcile(Snapshot snap, Context ctx) {
        SnapshotStatus status = Outcome.startFrom(snap.getStatus(), SnapshotStatus::new);
        // what was observed until a failure is written with it (e.g. a pull's ErrImagePull reason)
        return steps.runKeepingStatus(() -> new Pass(snap, status, ctx), status);
    }

    /** What one reconcile of one Snapshot observed so far: the steps' shared state (one thread). */
    private static final class Pass {
        final Snapshot snap;
        final ObjectRef me;
        final SnapshotSpec spec;
        final SnapshotStatus status;
        final Context ctx;
        final long generation;
        final String key;
        final Kind wantKind;
        String imageName;
        PlatformMatcher matcher;
        Snapshotter sn;
        List<Digest> chain;
        String wantParent;
        Optional<SnapshotInfo> info;
        List<Mount> mounts;
        boolean mounted;

        Pass(Snapshot snap, SnapshotStatus status, Context ctx) {
            this.snap = snap;
            this.me = ObjectRef.of(snap);
            this.spec = snap.getSpec();
            this.status = status;
            this.ctx = ctx;
            this.generation = snap.getMetadata().getGeneration() == null ? 0 : snap.getMetadata().getGeneration();
            this.key = key(snap);
            this.wantKind = spec.kind() == SnapshotKind.View ? Kind.VIEW : Kind.ACTIVE;
        }
    }

    private final Steps<Pass, SnapshotStatus> steps = Steps.<Pass, SnapshotStatus>first("check spec", this::checkSpec)
            .then("await image", this::awaitImage)
            .then("ensure snapshot", this::ensureSnapshot)
            .then("ensure mount", this::ensureMount)
            .last("report", this::report);


    private Optional<Outcome<SnapshotStatus>> checkSpec(Pass p) {
        if (p.spec.image() == null) {
            p.status.setObservedGeneration(p.generation);
            Readiness.degraded("NotSupported", "spec.parent: a Snapshot based on another Snapshot object is not"
                    + " supported yet (the parent would have to be committed); use spec.image")
                    .applyTo(p.status, p.generation, p.ctx.clock());
            return Optional.of(Outcome.converged(p.status));
        }
        if (p.spec.mountPath() != null) {
            // before anything is made on the node: a refused path is never mounted
            engine.hostPaths().checkMountPath("spec.mountPath", p.spec.mountPath());
        }
        return Optional.empty();
    }

    private Optional<Outcome<SnapshotStatus>> awaitImage(Pass p) {
        ObjectRef imageRef = p.me.sibling("Image", p.spec.image());
        Optional<Image> image = lookup.get(imageRef, Image.class);
        if (image.isEmpty() || image.get().getStatus() == null || !image.get().getStatus().isReady()) {
            p.status.setObservedGeneration(p.generation);
            Readiness.waiting("WaitingForImage", image.isEmpty()
                    ? "Image " + p.spec.image() + " does not exist in namespace " + p.me.namespace()
                    : "Image " + p.spec.image() + " is not ready yet").applyTo(p.status, p.generation, p.ctx.clock());
            return Optional.of(Outcome.waitingFor(p.status, imageRef));
        }
        Image img = image.get();
        p.imageName = ImageReconciler.recordName(img);
        p.matcher = ImageReconciler.matcher(img.getSpec());
        String snName = img.getSpec().unpack() == null ? null : img.getSpec().unpack().snapshotter();
        p.sn = snName == null ? engine.snapshotter() : engine.snapshotters().get(snName);
        p.chain = Images.resolve(engine.content(), engine.images().get(p.imageName).target(), p.matcher).chainIds();
        p.wantParent = p.chain.isEmpty() ? null : p.chain.get(p.chain.size() - 1).toString();
        return Optional.empty();
    }

    /** Our snapshot on intact layers: recreated when its directory, a layer, its kind or its image changed. */
    private Optional<Outcome<SnapshotStatus>> ensureSnapshot(Pass p) {
        Snapshotter sn = p.sn;
        String key = p.key;
        List<Digest> chain = p.chain;
        p.info = stat(sn, key);
        int broken = SnapshotChains.firstBroken(sn, chain);
        boolean dirGone = p.info.isPresent() && !sn.filesPresent(key);
        boolean wrongShape = p.info.isPresent() && (p.info.get().kind() != p.wantKind
                || !java.util.Objects.equals(p.info.get().parent(), p.wantParent));
        if (p.info.isPresent() && (dirGone || broken >= 0 || wrongShape)) {
            String why = dirGone ? "its directory was deleted" : broken >= 0 ? "layer " + chain.get(broken) + " is damaged"
                    : "its kind or image changed";
            unmountIfOurs(p.info.get());
            sn.remove(key);
            p.info = Optional.empty();
            if (wrongShape) {
                events.normal(p.me, "Recreating", "snapshot " + key + " is recreated: " + why);
            } else {
                events.drift(p.me, Drift.SNAPSHOT, "snapshot " + key + " is recreated: " + why);
            }
        }
        if (broken >= 0) {
            SnapshotChains.removeFrom(sn, chain, broken);
        }
        engine.unpacker().unpack(p.imageName, sn.name(), p.matcher);
        if (p.info.isEmpty()) {
            Map<String, String> labels = new HashMap<>();
            labels.put(OWNER_LABEL, p.me.toString());
            if (p.wantKind == Kind.VIEW) {
                sn.view(key, p.wantParent, labels);
            } else {
                sn.prepare(key, p.wantParent, labels);
            }
            events.normal(p.me, "Created", (p.wantKind == Kind.VIEW ? "view" : "active") + " snapshot " + key + " on "
                    + p.imageName);
            p.info = Optional.of(sn.stat(key));
        }
        p.mounts = sn.mounts(key);
        return Optional.empty();
    }

    /** With spec.mountPath, mounted there (read-only when asked); an old path in force is unmounted. */
    private Optional<Outcome<SnapshotStatus>> ensureMount(Pass p) throws IOException {
        Snapshotter sn = p.sn;
        String key = p.key;
        String labelled = p.info.get().labels().get(MOUNT_LABEL);
        String wantPath = p.spec.mountPath();
        if (labelled != null && !labelled.equals(wantPath)) {
            Unmount.unmountAll(Path.of(labelled));
            events.normal(p.me, "Unmounted", "unmounted " + labelled);
            Map<String, String> l = new HashMap<>(p.info.get().labels());
            l.remove(MOUNT_LABEL);
            sn.updateLabels(key, l);
        }
        if (wantPath == null) {
            return Optional.empty();
        }
        Path target = Path.of(wantPath);
        if (!MountTable.isMountPoint(target)) {
            Files.createDirectories(target);
            List<Mount> m = p.mounts;
            if (p.spec.readOnly() && p.wantKind == Kind.ACTIVE) {
                m = new ArrayList<>();
                for (Mount x : p.mounts) {
                    List<String> opts = new ArrayList<>(x.options());
                    opts.remove("rw");
                    if (!opts.contains("ro")) {
                        opts.add("ro");
                    }
                    m.add(new Mount(x.type(), x.source(), opts));
                }
            }
            Mount.mountAll(m, target);
            if (labelled != null && labelled.equals(wantPath)) {
                events.drift(p.me, Drift.MOUNT, "snapshot was no longer mounted at " + wantPath + "; mounted it again");
            } else {
                events.normal(p.me, "Mounted", "mounted " + key + " at " + wantPath);
            }
            Map<String, String> l = new HashMap<>(sn.stat(key).labels());
            l.put(MOUNT_LABEL, wantPath);
            sn.updateLabels(key, l);
        }
        p.mounted = true;
        return Optional.empty();
    }

    private Outcome<SnapshotStatus> report(Pass p) {
        SnapshotStatus status = p.status;
        status.setKey(p.key);
        status.setParentChainID(p.wantParent);
        List<SnapshotStatus.MountInfo> ms = new ArrayList<>();
        p.mounts.forEach(m -> ms.add(new SnapshotStatus.MountInfo(m.type(), m.source(), m.options())));
        status.setMounts(ms);
        status.setMounted(p.mounted);
        Instant last = usageAt.get(p.key);
        Instant now = p.ctx.clock().instant();
        if (last == null || last.plus(USAGE_EVERY).isBefore(now) || status.getUsage() == null) {
            var u = p.sn.usage(p.key);
            status.setUsage(new SnapshotStatus.Usage(u.size(), u.inodes()));
            usageAt.put(p.key, now);
        }
        status.setObservedGeneration(p.generation);
        String msg = (p.wantKind == Kind.VIEW ? "view" : "active") + " snapshot " + p.key
                + (p.mounted ? " mounted at " + p.spec.mountPath() : " ready");
        Readiness.ready(p.mounted ? "Mounted" : "Prepared", msg).applyTo(status, p.generation, p.ctx.clock());
        return Outcome.converged(status);
    }

    private void unmountIfOurs(SnapshotInfo info) {
        String p = info.labels().get(MOUNT_LABEL);
        if (p != null) {
            Unmount.unmountAll(Path.of(p));
        }
    }

    private boolean allowed(String mountPath) {
        try {
            engine.hostPaths().checkMountPath("spec.mountPath", mountPath);
            return true;
        } catch (BerthException e) {
            return false;
        }
    }

    private static Optional<SnapshotInfo> stat(Snapshotter sn, String key) {
        try {
            return Optional.of(sn.stat(key));
        } catch (BerthException e) {
            if (e.category() == ErrorCategory.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }


    @Override
    public Result cleanup(Snapshot snap, Context ctx) {
        String key = key(snap);
        for (String n : engine.snapshotters().names()) {
            Snapshotter sn = engine.snapshotters().get(n);
            Optional<SnapshotInfo> info = stat(sn, key);
            if (info.isPresent()) {
                unmountIfOurs(info.get());
                if (snap.getSpec().mountPath() != null && allowed(snap.getSpec().mountPath())) {
                    // a crash between mount and label leaves the mount unlabelled; a refused path was
                    // never ours, and unmounting there would take the host's own mounts away
                    Unmount.unmountAll(Path.of(snap.getSpec().mountPath()));
                }
                sn.remove(key);
                events.normal(ObjectRef.of(snap), "Removed", "snapshot " + key + " removed from " + sn.name());
            }
        }
        usageAt.remove(key);
        return Result.converged();
    }
}
