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
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.snapshots.Kind;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.reconcilers.Cleaner;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Outcome;
import dev.berth.reconcilers.Readiness;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
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
 * removes the snapshot. Thread-safe.
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
        try {
            return reconcile(snap, status, ctx);
        } catch (IOException | RuntimeException e) {
            // what was observed until then is written with the failure
            return Outcome.failed(status, e);
        }
    }

    private Outcome<SnapshotStatus> reconcile(Snapshot snap, SnapshotStatus status, Context ctx) throws IOException {
        ObjectRef me = ObjectRef.of(snap);
        SnapshotSpec spec = snap.getSpec();
        long generation = snap.getMetadata().getGeneration() == null ? 0 : snap.getMetadata().getGeneration();
        if (spec.image() == null) {
            status.setObservedGeneration(generation);
            Readiness.degraded("NotSupported", "spec.parent: a Snapshot based on another Snapshot object is not"
                    + " supported yet (the parent would have to be committed); use spec.image")
                    .applyTo(status, generation, ctx.clock());
            return Outcome.converged(status);
        }
        if (spec.mountPath() != null) {
            // before anything is made on the node: a refused path is never mounted
            engine.hostPaths().checkMountPath("spec.mountPath", spec.mountPath());
        }
        ObjectRef imageRef = me.sibling("Image", spec.image());
        Optional<Image> image = lookup.get(imageRef, Image.class);
        if (image.isEmpty() || image.get().getStatus() == null || !image.get().getStatus().isReady()) {
            status.setObservedGeneration(generation);
            Readiness.waiting("WaitingForImage", image.isEmpty()
                    ? "Image " + spec.image() + " does not exist in namespace " + me.namespace()
                    : "Image " + spec.image() + " is not ready yet").applyTo(status, generation, ctx.clock());
            return Outcome.waitingFor(status, imageRef);
        }
        Image img = image.get();
        String name = ImageReconciler.recordName(img);
        var matcher = ImageReconciler.matcher(img.getSpec());
        String snName = img.getSpec().unpack() == null ? null : img.getSpec().unpack().snapshotter();
        Snapshotter sn = snName == null ? engine.snapshotter() : engine.snapshotters().get(snName);
        ResolvedImage resolved = Images.resolve(engine.content(), engine.images().get(name).target(), matcher);
        List<Digest> chain = resolved.chainIds();
        String key = key(snap);

        // observe: our snapshot, and the layers under it
        Optional<SnapshotInfo> info = stat(sn, key);
        int broken = SnapshotChains.firstBroken(sn, chain);
        boolean dirGone = info.isPresent() && !sn.filesPresent(key);
        String wantParent = chain.isEmpty() ? null : chain.get(chain.size() - 1).toString();
        Kind wantKind = spec.kind() == SnapshotKind.View ? Kind.VIEW : Kind.ACTIVE;
        boolean wrongShape = info.isPresent() && (info.get().kind() != wantKind
                || !java.util.Objects.equals(info.get().parent(), wantParent));
        if (info.isPresent() && (dirGone || broken >= 0 || wrongShape)) {
            String why = dirGone ? "its directory was deleted" : broken >= 0 ? "layer " + chain.get(broken) + " is damaged"
                    : "its kind or image changed";
            unmountIfOurs(info.get());
            sn.remove(key);
            info = Optional.empty();
            if (wrongShape) {
                events.normal(me, "Recreating", "snapshot " + key + " is recreated: " + why);
            } else {
                events.warning(me, "DriftRepaired", "snapshot " + key + " is recreated: " + why);
            }
        }
        if (broken >= 0) {
            SnapshotChains.removeFrom(sn, chain, broken);
        }
        engine.unpacker().unpack(name, sn.name(), matcher);
        if (info.isEmpty()) {
            Map<String, String> labels = new HashMap<>();
            labels.put(OWNER_LABEL, me.toString());
            if (wantKind == Kind.VIEW) {
                sn.view(key, wantParent, labels);
            } else {
                sn.prepare(key, wantParent, labels);
            }
            events.normal(me, "Created", (wantKind == Kind.VIEW ? "view" : "active") + " snapshot " + key + " on " + name);
            info = Optional.of(sn.stat(key));
        }
        List<Mount> mounts = sn.mounts(key);

        // mount path
        String labelled = info.get().labels().get(MOUNT_LABEL);
        String wantPath = spec.mountPath();
        if (labelled != null && !labelled.equals(wantPath)) {
            Unmount.unmountAll(Path.of(labelled));
            events.normal(me, "Unmounted", "unmounted " + labelled);
            Map<String, String> l = new HashMap<>(info.get().labels());
            l.remove(MOUNT_LABEL);
            sn.updateLabels(key, l);
        }
        boolean mounted = false;
        if (wantPath != null) {
            Path target = Path.of(wantPath);
            if (!MountTable.isMountPoint(target)) {
                Files.createDirectories(target);
                List<Mount> m = mounts;
                if (spec.readOnly() && wantKind == Kind.ACTIVE) {
                    m = new ArrayList<>();
                    for (Mount x : mounts) {
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
                    events.warning(me, "DriftRepaired", "snapshot was no longer mounted at " + wantPath + "; mounted it again");
                } else {
                    events.normal(me, "Mounted", "mounted " + key + " at " + wantPath);
                }
                Map<String, String> l = new HashMap<>(sn.stat(key).labels());
                l.put(MOUNT_LABEL, wantPath);
                sn.updateLabels(key, l);
            }
            mounted = true;
        }

        status.setKey(key);
        status.setParentChainID(wantParent);
        List<SnapshotStatus.MountInfo> ms = new ArrayList<>();
        mounts.forEach(m -> ms.add(new SnapshotStatus.MountInfo(m.type(), m.source(), m.options())));
        status.setMounts(ms);
        status.setMounted(mounted);
        Instant last = usageAt.get(key);
        if (last == null || last.plus(USAGE_EVERY).isBefore(ctx.clock().instant()) || status.getUsage() == null) {
            var u = sn.usage(key);
            status.setUsage(new SnapshotStatus.Usage(u.size(), u.inodes()));
            usageAt.put(key, ctx.clock().instant());
        }
        status.setObservedGeneration(generation);
        String msg = (wantKind == Kind.VIEW ? "view" : "active") + " snapshot " + key
                + (mounted ? " mounted at " + wantPath : " ready");
        Readiness.ready(mounted ? "Mounted" : "Prepared", msg).applyTo(status, generation, ctx.clock());
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
