package dev.berth.reconcilers.image;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.image.PullPolicy;
import dev.berth.crd.status.Condition;
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
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.EventSink;
import dev.berth.reconcilers.ObjectLookup;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import dev.berth.reconcilers.rollout.ImageRollout;
import dev.berth.reconcilers.rollout.TagCheck;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentHashMap;

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
    public Result reconcile(Image image, Context ctx) {
        ObjectRef me = ObjectRef.of(image);
        ImageSpec spec = image.getSpec();
        ImageStatus status = image.getStatus() == null ? new ImageStatus() : image.getStatus();
        image.setStatus(status);
        long generation = image.getMetadata().getGeneration() == null ? 0 : image.getMetadata().getGeneration();
        boolean newGeneration = status.getObservedGeneration() == null || status.getObservedGeneration() != generation;
        String name = recordName(image);
        PlatformMatcher matcher = matcher(spec);
        Instant now = ctx.clock().instant();

        List<String> missing = missingContent(name, spec.platform(), matcher);
        boolean present = missing != null && missing.isEmpty();
        Duration every = spec.updateEvery().orElse(refresh);
        String lastCheck = status.getCheckedAt() != null ? status.getCheckedAt() : status.getPulledAt();
        boolean refreshDue = spec.pullPolicy() == PullPolicy.Always && (newGeneration || lastCheck == null
                || !Instant.parse(lastCheck).plus(every).isAfter(now));
        if (!present && spec.pullPolicy() == PullPolicy.Never) {
            status.setObservedGeneration(generation);
            status.setCondition(Condition.of(Condition.READY, false, "ErrImageNeverPull", "image " + name
                    + " is not in the store and pullPolicy is Never; import it (berth images import) or set pullPolicy: IfNotPresent"), ctx.clock());
            status.setCondition(Condition.of(Condition.PROGRESSING, false, "ErrImageNeverPull", "waiting for the image to be imported"), ctx.clock());
            return Result.requeueAfter(Duration.ofSeconds(10));
        }
        var previous = engine.images().find(name).map(dev.berth.engine.images.Image::target).orElse(null);
        if (present && refreshDue && !TagCheck.moved(registries.resolver(credentialsFile(spec)), spec.ref(), previous)) {
            // one HEAD request said the tag still points at what is here: nothing to fetch
            status.setCheckedAt(Conditions.format(ctx.clock().instant()));
        } else if (!present || refreshDue) {
            if (missing != null && !missing.isEmpty()) {
                events.warning(me, "DriftRepaired", "image " + name + " lost " + String.join(", ", missing) + "; re-fetching");
            }
            String before = status.getDigest();
            pull(me, image, name, matcher, now, status, ctx);
            status.setCheckedAt(status.getPulledAt());
            String after = engine.images().get(name).target().digest().toString();
            if (before != null && !before.equals(after)) {
                rollout.start(me, image, status, previous, after, ctx.clock());
            }
        }

        ResolvedImage resolved = resolve(engine.images().get(name).target(), spec.platform(), matcher);
        Descriptor target = resolved.target();
        status.setDigest(target.digest().toString());
        status.setPlatform(Platforms.format(resolved.platform()));
        long size = target.size() + resolved.configDescriptor().size();
        if (!resolved.manifestDescriptor().digest().equals(target.digest())) {
            // an index: the chosen manifest comes on top of it
            size += resolved.manifestDescriptor().size();
        }
        for (Descriptor l : resolved.layers()) {
            size += l.size();
        }
        status.setSize(size);

        String reason = "Pulled";
        String message = "image " + name + " (" + status.getDigest() + ") is in the store";
        if (spec.unpack() != null) {
            String snName = spec.unpack().snapshotter() == null ? null : spec.unpack().snapshotter();
            Snapshotter sn = snName == null ? engine.snapshotter() : engine.snapshotters().get(snName);
            int broken = SnapshotChains.firstBroken(sn, resolved.chainIds());
            if (broken >= 0 && engine.unpacker().isUnpacked(name, sn.name(), matcher)) {
                events.warning(me, "DriftRepaired", "layer snapshot " + resolved.chainIds().get(broken)
                        + " is missing or lost its directory; unpacking again");
                SnapshotChains.removeFrom(sn, resolved.chainIds(), broken);
            }
            var result = engine.unpacker().unpack(name, sn.name(), matcher);
            if (result.applied() > 0) {
                events.normal(me, "Unpacked", "unpacked " + result.applied() + " layer(s) of " + name + " into " + sn.name());
            }
            status.setChainID(result.chainId() == null ? null : result.chainId().toString());
            reason = "Unpacked";
            message = "image " + name + " (" + status.getDigest() + ") is unpacked in " + sn.name();
        } else {
            status.setChainID(resolved.topChainId() == null ? null : resolved.topChainId().toString());
        }
        status.setObservedGeneration(generation);
        status.setCondition(Condition.of(Condition.READY, true, reason, message), ctx.clock());
        status.setCondition(Condition.of(Condition.PROGRESSING, false, reason, "up to date"), ctx.clock());
        if (status.getRollout() == null || status.getRollout().phase() != ImageStatus.RolloutPhase.RolledBack) {
            // a rolled-back rollout keeps Degraded=True (the rollout step says why)
            status.setCondition(Condition.of(Condition.DEGRADED, false, reason, "no problems"), ctx.clock());
        }
        Optional<Duration> rolling = rollout.step(me, status, ctx.clock());
        if (rolling.isPresent()) {
            return Result.requeueAfter(rolling.get());
        }
        return spec.pullPolicy() == PullPolicy.Always ? Result.requeueAfter(every) : Result.converged();
    }

    private void pull(ObjectRef me, Image image, String name, PlatformMatcher matcher, Instant now, ImageStatus status,
            Context ctx) {
        status.setCondition(Condition.of(Condition.PROGRESSING, true, "Pulling", "pulling " + name), ctx.clock());
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
            status.setCondition(Condition.of(Condition.READY, false, reason, e.getMessage()), ctx.clock());
            status.setCondition(Condition.of(Condition.DEGRADED, true, reason, e.getMessage()), ctx.clock());
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
