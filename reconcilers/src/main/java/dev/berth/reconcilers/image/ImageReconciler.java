package dev.berth.reconcilers.image;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.image.PullPolicy;
import dev.berth.crd.status.Conditions;
import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.sandbox.PauseImages;
import dev.berth.engine.snapshots.Snapshotter;
import dev.berth.engine.transfer.ImagePuller;
import dev.berth.engine.transfer.PullOptions;
import dev.berth.reconcilers.Cleaner;
import dev.berth.crd.status.Condition;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Drift;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Outcome;
import dev.berth.reconcilers.Readiness;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import dev.berth.reconcilers.Steps;
import dev.berth.reconcilers.rollout.ImageRollout;
import dev.berth.reconcilers.rollout.TagCheck;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keeps an {@link Image} object's content on the node: the image record (its normalised reference)
 * with every blob of the selected platform in the content store, and, when {@code spec.unpack} asks
 * for it, the layers unpacked in that snapshotter.
 *
 * <p>Each reconcile observes first: a record whose blobs are all present is not pulled again
 * (IfNotPresent), a missing blob is re-fetched (drift), a committed layer snapshot that lost its
 * directory is removed and re-unpacked (drift). {@code Always} re-pulls when the generation changes
 * and every {@code refresh} (a changed digest then reaches Containers through status.digest).
 * {@code Never} waits for the image to be imported. Ready=True means: record present, blobs complete,
 * unpacked when asked. Deleting the object removes the image record unless another Image object
 * names the same reference; blobs and snapshots go at garbage collection.
 *
 * <p>Steps: ensure content → describe (digest, platform, size) → ensure unpacked → report.
 *
 * <p>Manifests and configs are content-addressed, so what they resolve to is kept per target digest
 * and platform; every reconcile still checks that each of those blobs is present. Thread-safe.
 */
public final class ImageReconciler implements Reconciler<Image>, Cleaner<Image> {
    private final Engine engine;
    private final Registries registries;
    private final ObjectLookup lookup;
    private final EventSink events;
    private final Duration refresh;
    /** Resolved images by target digest and platform; a blob's parse never changes. */
    private final Map<String, ResolvedImage> resolved = new ConcurrentHashMap<>();
    private final ImageRollout rollout;

    public ImageReconciler(Engine engine, Registries registries, ObjectLookup lookup, EventSink events, Duration refresh) {
        this(engine, registries, lookup, events, refresh, ref -> { });
    }

    /**
     * A reconciler whose rollouts wake the Containers they move through {@code enqueue} (without it,
     * Containers see a rollout's step at their next reconcile).
     */
    public ImageReconciler(Engine engine, Registries registries, ObjectLookup lookup, EventSink events, Duration refresh,
            Consumer<ObjectRef> enqueue) {
        this.engine = engine;
        this.registries = registries;
        this.lookup = lookup;
        this.events = events;
        this.refresh = refresh;
        this.rollout = new ImageRollout(engine.images(), lookup, events, enqueue);
    }

    @Override
    public Class<Image> kind() {
        return Image.class;
    }

    /** The engine image record name of an Image object: its reference, normalised. */
    public static String recordName(Image image) {
        return Reference.parse(image.getSpec().ref()).toString();
    }

    /** The platform matcher an Image object asks for. */
    public static PlatformMatcher matcher(ImageSpec spec) {
        return spec.platform() == null || spec.platform().isBlank() ? Platforms.defaultMatcher()
                : Platforms.only(Platforms.parse(spec.platform()));
    }

    @Override
    public Outcome<ImageStatus> reconcile(Image image, Context ctx) {
        ImageStatus status = Outcome.startFrom(image.getStatus(), ImageStatus::new);
        // what was observed until a failure is written with it (e.g. a pull's ErrImagePull reason)
        return steps.runKeepingStatus(() -> new Pass(image, status, ctx), status);
    }

    /** What one reconcile of one Image observed so far: the steps' shared state (one thread). */
    private static final class Pass {
        final Image image;
        final ObjectRef me;
        final ImageSpec spec;
        final ImageStatus status;
        final Context ctx;
        final long generation;
        final String name;
        final PlatformMatcher matcher;
        ResolvedImage resolved;
        String reason = "Pulled";
        String message;
        /** How often a tag is checked: spec.updateInterval, else the daemon's refresh. */
        Duration every;

        Pass(Image image, ImageStatus status, Context ctx) {
            this.image = image;
            this.me = ObjectRef.of(image);
            this.spec = image.getSpec();
            this.status = status;
            this.ctx = ctx;
            this.generation = image.getMetadata().getGeneration() == null ? 0 : image.getMetadata().getGeneration();
            this.name = recordName(image);
            this.matcher = matcher(spec);
        }
    }

    private final Steps<Pass, ImageStatus> steps = Steps.<Pass, ImageStatus>first("ensure content", this::ensureContent)
            .then("describe", this::describe)
            .then("ensure unpacked", this::ensureUnpacked)
            .last("report", this::report);


    /** Every blob of the record in the store: pulled when missing (or due, with Always); Never waits for an import. */
    private Optional<Outcome<ImageStatus>> ensureContent(Pass p) {
        ImageStatus status = p.status;
        boolean newGeneration = status.getObservedGeneration() == null || status.getObservedGeneration() != p.generation;
        Instant now = p.ctx.clock().instant();
        List<String> missing = missingContent(p.name, p.spec.platform(), p.matcher);
        boolean present = missing != null && missing.isEmpty();
        p.every = p.spec.updateEvery().orElse(refresh);
        String lastCheck = status.getCheckedAt() != null ? status.getCheckedAt() : status.getPulledAt();
        boolean refreshDue = p.spec.pullPolicy() == PullPolicy.Always && (newGeneration || lastCheck == null
                || !Instant.parse(lastCheck).plus(p.every).isAfter(now));
        if (!present && p.spec.pullPolicy() == PullPolicy.Never) {
            status.setObservedGeneration(p.generation);
            Readiness.degraded("ErrImageNeverPull", "image " + p.name + " is not in the store and pullPolicy is Never;"
                    + " import it (berth images import) or set pullPolicy: IfNotPresent")
                    .applyTo(status, p.generation, p.ctx.clock());
            return Optional.of(Outcome.requeueAfter(status, Duration.ofSeconds(10)));
        }
        var previous = engine.images().find(p.name).map(dev.berth.engine.images.Image::target).orElse(null);
        if (present && refreshDue && !TagCheck.moved(registries.resolver(credentialsFile(p.spec)), p.spec.ref(), previous)) {
            // one HEAD request said the tag still points at what is here: nothing to fetch
            status.setCheckedAt(Conditions.format(p.ctx.clock().instant()));
        } else if (!present || refreshDue) {
            if (missing != null && !missing.isEmpty()) {
                events.drift(p.me, Drift.CONTENT, "image " + p.name + " lost " + String.join(", ", missing)
                        + "; re-fetching");
            }
            String before = status.getDigest();
            pull(p.me, p.image, p.name, p.matcher, now, status, p.generation, p.ctx);
            status.setCheckedAt(status.getPulledAt());
            String after = engine.images().get(p.name).target().digest().toString();
            if (before != null && !before.equals(after)) {
                rollout.start(p.me, p.image, status, previous, after, p.ctx.clock());
            }
        }
        return Optional.empty();
    }

    /** The digest, platform and size the record resolves to. */
    private Optional<Outcome<ImageStatus>> describe(Pass p) {
        ImageStatus status = p.status;
        p.resolved = resolve(engine.images().get(p.name).target(), p.spec.platform(), p.matcher);
        Descriptor target = p.resolved.target();
        status.setDigest(target.digest().toString());
        status.setPlatform(Platforms.format(p.resolved.platform()));
        long size = target.size() + p.resolved.configDescriptor().size();
        if (!p.resolved.manifestDescriptor().digest().equals(target.digest())) {
            // an index: the chosen manifest comes on top of it
            size += p.resolved.manifestDescriptor().size();
        }
        for (Descriptor l : p.resolved.layers()) {
            size += l.size();
        }
        status.setSize(size);
        p.message = "image " + p.name + " (" + status.getDigest() + ") is in the store";
        return Optional.empty();
    }

    /** With spec.unpack, the layers unpacked in that snapshotter (a damaged layer snapshot is unpacked again). */
    private Optional<Outcome<ImageStatus>> ensureUnpacked(Pass p) {
        ResolvedImage resolved = p.resolved;
        if (p.spec.unpack() == null) {
            p.status.setChainID(resolved.topChainId() == null ? null : resolved.topChainId().toString());
            return Optional.empty();
        }
        String snName = p.spec.unpack().snapshotter();
        Snapshotter sn = snName == null ? engine.snapshotter() : engine.snapshotters().get(snName);
        int broken = SnapshotChains.firstBroken(sn, resolved.chainIds());
        if (broken >= 0 && engine.unpacker().isUnpacked(p.name, sn.name(), p.matcher)) {
            events.drift(p.me, Drift.SNAPSHOT, "layer snapshot " + resolved.chainIds().get(broken)
                    + " is missing or lost its directory; unpacking again");
            SnapshotChains.removeFrom(sn, resolved.chainIds(), broken);
        }
        var result = engine.unpacker().unpack(p.name, sn.name(), p.matcher);
        if (result.applied() > 0) {
            events.normal(p.me, "Unpacked", "unpacked " + result.applied() + " layer(s) of " + p.name + " into " + sn.name());
        }
        p.status.setChainID(result.chainId() == null ? null : result.chainId().toString());
        p.reason = "Unpacked";
        p.message = "image " + p.name + " (" + p.status.getDigest() + ") is unpacked in " + sn.name();
        return Optional.empty();
    }

    private Outcome<ImageStatus> report(Pass p) {
        p.status.setObservedGeneration(p.generation);
        var lastRollout = p.status.getRollout();
        if (lastRollout != null && lastRollout.phase() == ImageStatus.RolloutPhase.RolledBack) {
            // a rolled-back rollout keeps Degraded=True (its step says why)
            var degraded = p.status.condition(Condition.DEGRADED);
            Readiness.ready(p.reason, p.message).applyTo(p.status, p.generation, p.ctx.clock());
            degraded.ifPresent(d -> p.status.getConditions().replaceAll(c -> c.type().equals(d.type()) ? d : c));
        } else {
            Readiness.ready(p.reason, p.message).applyTo(p.status, p.generation, p.ctx.clock());
        }
        Optional<Duration> rolling = rollout.step(p.me, p.status, p.ctx.clock());
        if (rolling.isPresent()) {
            return Outcome.requeueAfter(p.status, rolling.get());
        }
        return p.spec.pullPolicy() == PullPolicy.Always ? Outcome.requeueAfter(p.status, p.every)
                : Outcome.converged(p.status);
    }

    private void pull(ObjectRef me, Image image, String name, PlatformMatcher matcher, Instant now, ImageStatus status,
            long generation, Context ctx) {
        ImagePuller puller = engine.puller(registries.resolver(credentialsFile(image.getSpec())));
        PullOptions opts = PullOptions.defaults().withPlatforms(matcher)
                .withMaxConcurrentDownloads(engine.config().get(RemoteSettings.MAX_CONCURRENT_DOWNLOADS).intValue());
        String before = status.getDigest();
        try {
            var pulled = puller.pull(Reference.parse(image.getSpec().ref()), opts);
            long took = Duration.between(now, ctx.clock().instant()).toMillis();
            status.setPulledAt(Conditions.format(ctx.clock().instant()));
            String digest = pulled.target().digest().toString();
            if (before != null && !before.equals(digest)) {
                events.normal(me, "Pulled", "image " + name + " changed: " + before + " -> " + digest + " (" + took + " ms)");
            } else {
                events.normal(me, "Pulled", "pulled " + name + " (" + digest + ") in " + took + " ms");
            }
        } catch (BerthException e) {
            String reason = switch (e.category()) {
                case NOT_FOUND -> "ErrImageNotFound";
                case PERMISSION_DENIED -> "ErrImageAuth";
                case INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_IMPLEMENTED -> "ErrImageInvalid";
                default -> "ErrImagePull";
            };
            (e.category().retryable() ? Readiness.retrying(reason, e.getMessage()) : Readiness.degraded(reason,
                    e.getMessage())).applyTo(status, generation, ctx.clock());
            events.warning(me, "Failed", "pulling " + name + ": " + e.getMessage());
            // retried with backoff by the dispatcher; a bad reference or manifest is not retried until the spec changes
            throw e;
        }
    }

    private static String credentialsFile(ImageSpec spec) {
        return spec.credentials() == null ? null : spec.credentials().file();
    }

    /**
     * What is missing of the image's content for {@code matcher}: null when there is no record at
     * all, an empty list when everything is there.
     */
    private List<String> missingContent(String name, String platform, PlatformMatcher matcher) {
        var record = engine.images().find(name);
        if (record.isEmpty()) {
            return null;
        }
        List<String> missing = new ArrayList<>();
        Descriptor target = record.get().target();
        if (!engine.content().exists(target.digest())) {
            missing.add("manifest " + target.digest());
            return missing;
        }
        try {
            ResolvedImage r = resolve(target, platform, matcher);
            if (!engine.content().exists(r.manifestDescriptor().digest())) {
                missing.add("manifest " + r.manifestDescriptor().digest());
            }
            if (!engine.content().exists(r.configDescriptor().digest())) {
                missing.add("config " + r.configDescriptor().digest());
            }
            for (Descriptor l : r.layers()) {
                if (!engine.content().exists(l.digest())) {
                    missing.add("layer " + l.digest());
                }
            }
        } catch (BerthException e) {
            if (e.category() != ErrorCategory.NOT_FOUND) {
                throw e;
            }
            missing.add(e.getMessage());
        }
        return missing;
    }

    /** {@link Images#resolve}, remembered per target digest and platform. */
    private ResolvedImage resolve(Descriptor target, String platform, PlatformMatcher matcher) {
        String key = target.digest() + "|" + (platform == null ? "" : platform.trim());
        ResolvedImage r = resolved.get(key);
        if (r == null) {
            r = Images.resolve(engine.content(), target, matcher);
            if (resolved.size() > 1024) {
                resolved.clear();
            }
            resolved.put(key, r);
        }
        return r;
    }

    /** The Containers of the image's namespace that name it and are not being deleted, sorted. */
    private List<String> users(Image image) {
        String ns = image.getMetadata().getNamespace();
        String name = image.getMetadata().getName();
        return lookup.list(Container.class).stream()
                .filter(c -> java.util.Objects.equals(ns, c.getMetadata().getNamespace())
                        && c.getMetadata().getDeletionTimestamp() == null && c.getSpec() != null
                        && name.equals(c.getSpec().image()))
                .map(c -> c.getMetadata().getName()).sorted().toList();
    }

    @Override
    public Result cleanup(Image image, Context ctx) {
        String name;
        try {
            name = recordName(image);
        } catch (BerthException e) {
            return Result.converged();
        }
        for (Image other : lookup.list(Image.class)) {
            if (!ObjectRef.of(other).equals(ObjectRef.of(image)) && other.getMetadata().getDeletionTimestamp() == null) {
                try {
                    if (recordName(other).equals(name)) {
                        return Result.converged();
                    }
                } catch (BerthException ignored) {
                    // another object's bad reference does not keep this record
                }
            }
        }
        rollout.unpinAllBut(ObjectRef.of(image), null);
        List<String> users = users(image);
        if (!users.isEmpty()) {
            // kubelet never removes an image a container uses: its tasks may need it again (a restart
            // after a crash, a recreate), and a node may not be able to pull it back
            events.normal(ObjectRef.of(image), "Kept", "image record " + name + " kept: used by Container "
                    + String.join(", ", users) + "; remove it with `berth images rm " + name + "` once they are gone");
            return Result.converged();
        }
        if (engine.pauseImages().isConfigured(name)) {
            // new sandboxes need it, and an offline node could not pull it back
            events.normal(ObjectRef.of(image), "Kept", "image record " + name + " kept: it is the configured sandbox image ("
                    + PauseImages.CONFIG_KEYS + ")");
            return Result.converged();
        }
        try {
            engine.images().delete(name);
            events.normal(ObjectRef.of(image), "Removed", "image record " + name + " removed; its content goes at the next garbage collection");
        } catch (BerthException e) {
            if (e.category() != ErrorCategory.NOT_FOUND) {
                throw e;
            }
        }
        return Result.converged();
    }
}
