package dev.berth.engine.transfer;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Index;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.oci.Platform;
import dev.berth.engine.remotes.Fetcher;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.Resolved;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.remotes.docker.ManifestBodies;
import dev.berth.engine.remotes.docker.RegistryOptions;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Pulls an image into the content store and records it, as containerd's client pull: resolve the
 * reference, walk index → manifest (taking the best platform match) → config and layers, fetch the
 * blobs concurrently (at most {@code maxConcurrentDownloads}), verify each, label parents with GC
 * references to their children and every blob with {@code containerd.io/distribution.source.<host>},
 * and write the image record (name → root descriptor) last, so a failed pull leaves no record and only
 * verified blobs plus resumable ingests. Pulling an image again is cheap: stored blobs are not fetched.
 * With a {@link LeaseManager}, each pull holds a lease (expiring after 24 h, deleted when the pull
 * ends) on every blob it stores, added before the blob is looked up, so garbage collection running
 * meanwhile never removes the pull's half-done work. Thread-safe; concurrent pulls of the same blob wait for each other on the ingest ref.
 */
public final class ImagePuller {
    public static final String DISTRIBUTION_SOURCE = "containerd.io/distribution.source.";
    private static final String GC_REF = "containerd.io/gc.ref.content.";
    private static final long MAX_CONFIG_BYTES = 20L << 20;

    private final ContentStore content;
    private final ImageStore images;
    private final Resolver resolver;
    private final LeaseManager leases;
    private final TransferObserver observer;

    public ImagePuller(ContentStore content, ImageStore images, Resolver resolver) {
        this(content, images, resolver, null);
    }

    /** A puller whose pulls hold leases in {@code leases} (null: no leases). */
    public ImagePuller(ContentStore content, ImageStore images, Resolver resolver, LeaseManager leases) {
        this(content, images, resolver, leases, new TransferObserver() {
        });
    }

    /** A puller that also tells {@code observer} of each pull (the engine's, see {@code Engine.puller}). */
    public ImagePuller(ContentStore content, ImageStore images, Resolver resolver, LeaseManager leases,
            TransferObserver observer) {
        this.content = content;
        this.images = images;
        this.resolver = resolver;
        this.leases = leases;
        this.observer = observer;
    }

    /**
     * Pulls {@code ref} and returns the image record. Errors carry the category of the first failure
     * (NOT_FOUND, PERMISSION_DENIED, UNAVAILABLE, DEADLINE_EXCEEDED, FAILED_PRECONDITION, …) and name
     * the reference and blob.
     */
    public Image pull(Reference ref, PullOptions options) {
        long start = System.nanoTime();
        Resolved resolved;
        try {
            resolved = resolver.resolve(ref);
        } catch (RuntimeException e) {
            failed(ref.toString(), e, start);
            throw e;
        }
        return pull(resolved, options, start);
    }

    private void failed(String ref, RuntimeException e, long start) {
        ErrorCategory reason = e instanceof BerthException b ? b.category() : ErrorCategory.INTERNAL;
        observer.pullFailed(ref, reason, Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * Pulls what {@code resolved} names (the result of this puller's resolver, e.g. resolved while
     * the stores were being opened).
     */
    public Image pull(Resolved resolved, PullOptions options) {
        return pull(resolved, options, System.nanoTime());
    }

    private Image pull(Resolved resolved, PullOptions options, long start) {
        java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
        BlobProgress.Listener shown = options.listener();
        PullOptions counted = options.withListener(p -> {
            if (p.phase() == BlobProgress.Phase.DONE) {
                bytes.addAndGet(p.total());
            }
            shown.update(p);
        });
        try {
            Image img = pullCounted(resolved, counted);
            observer.pulled(resolved.reference().toString(), bytes.get(), Duration.ofNanos(System.nanoTime() - start));
            return img;
        } catch (RuntimeException e) {
            failed(resolved.reference().toString(), e, start);
            throw e;
        }
    }

    private Image pullCounted(Resolved resolved, PullOptions options) {
        Reference ref = resolved.reference();
        Fetcher fetcher = resolver.fetcher(ref);
        Map<String, String> source = Map.of(DISTRIBUTION_SOURCE + ref.domain(), ref.path());
        BlobDownloader downloader = new BlobDownloader(content, options.listener());
        try (LeaseManager.Held lease = leases == null ? null : leases.createTemporary("pull", Duration.ofHours(24))) {
            Consumer<Descriptor> hold = d -> {
                if (lease != null) {
                    lease.add(LeaseResource.content(d.digest()));
                }
            };
            List<Descriptor> blobs = new ArrayList<>();
            walk(fetcher, resolved.descriptor(), ref, options.platforms(), source, downloader, blobs, hold, 0);
            blobs.forEach(hold);
            downloadAll(fetcher, blobs, ref, source, downloader, options.maxConcurrentDownloads());
            return images.put(Image.of(ref.toString(), resolved.descriptor()));
        }
    }

    private void walk(Fetcher fetcher, Descriptor desc, Reference ref, PlatformMatcher platforms,
                      Map<String, String> source, BlobDownloader downloader, List<Descriptor> blobs,
                      Consumer<Descriptor> hold, int depth) {
        if (depth > 4) {
            throw BerthException.precondition("%s: indexes nested more than 4 deep at %s", ref, desc.digest());
        }
        String what = (MediaTypes.isIndex(desc.mediaType()) ? "index " : "manifest ") + desc.digest() + " of " + ref;
        hold.accept(desc);
        byte[] body = manifestBytes(fetcher, desc, what);
        String type = ManifestBodies.mediaType(body, desc.mediaType(), what);
        if (MediaTypes.isIndex(type) != MediaTypes.isIndex(desc.mediaType())) {
            throw BerthException.precondition("%s: its descriptor says %s but the content is %s", what,
                    desc.mediaType(), type);
        }
        Map<String, String> labels = new LinkedHashMap<>(source);
        if (MediaTypes.isIndex(type)) {
            Index index = OciJson.read(body, Index.class, what);
            Descriptor child = choose(fetcher, index, platforms, what);
            // keyed by position in the index, as containerd's ChildGCLabels: pulling another platform
            // later adds its own key instead of replacing this one
            labels.put(GC_REF + "m." + index.manifests().indexOf(child), child.digest().toString());
            store(desc, body, labels, downloader);
            walk(fetcher, child, ref, platforms, source, downloader, blobs, hold, depth + 1);
            return;
        }
        Manifest m = OciJson.read(body, Manifest.class, what);
        if (m.config() == null || m.config().digest() == null) {
            throw BerthException.invalid("%s has no config descriptor", what);
        }
        if (!MediaTypes.isConfig(m.config().mediaType())) {
            throw new BerthException(ErrorCategory.NOT_IMPLEMENTED, what + " has config media type \""
                    + m.config().mediaType() + "\": it is an artifact, not a container image");
        }
        labels.put(GC_REF + "config", m.config().digest().toString());
        blobs.add(m.config());
        List<Descriptor> layers = m.layers() == null ? List.of() : m.layers();
        for (int i = 0; i < layers.size(); i++) {
            Descriptor l = layers.get(i);
            if (l == null || l.digest() == null || !MediaTypes.isLayer(l.mediaType())) {
                throw new BerthException(ErrorCategory.NOT_IMPLEMENTED, what + ": layer " + i + " has media type \""
                        + (l == null ? null : l.mediaType()) + "\", which is not an image layer");
            }
            labels.put(GC_REF + "l." + i, l.digest().toString());
            blobs.add(l);
        }
        store(desc, body, labels, downloader);
    }

    /** The manifest's bytes, from the store when present, else fetched and digest-checked. */
    private byte[] manifestBytes(Fetcher fetcher, Descriptor desc, String what) {
        if (content.exists(desc.digest())) {
            return content.readAll(desc, RegistryOptions.MAX_MANIFEST_SIZE);
        }
        byte[] body = fetcher.fetchManifest(desc);
        Digest actual = desc.digest().algorithm().equals("sha256") ? Digest.sha256(body)
                : Digest.of(desc.digest().algorithm(), desc.digest().newHasher().digest(body));
        if (!actual.equals(desc.digest()) || body.length != desc.size()) {
            throw BerthException.precondition("%s: the registry sent %d bytes hashing to %s, expected %d bytes with"
                    + " digest %s; nothing was stored", what, body.length, actual, desc.size(), desc.digest());
        }
        return body;
    }

    private void store(Descriptor desc, byte[] body, Map<String, String> labels, BlobDownloader downloader) {
        downloader.download(off -> new ByteArrayInputStream(body, (int) off, body.length - (int) off),
                desc, labels, "manifest " + desc.digest());
    }

    /**
     * The best manifest of {@code index} for {@code platforms}, as containerd's FilterPlatforms +
     * limit 1. An entry without a platform is judged by its config's os/architecture/variant.
     */
    private Descriptor choose(Fetcher fetcher, Index index, PlatformMatcher platforms, String what) {
        record Candidate(Descriptor desc, Platform platform) {
        }
        List<Candidate> candidates = new ArrayList<>();
        List<String> offered = new ArrayList<>();
        for (Descriptor d : index.manifests() == null ? List.<Descriptor>of() : index.manifests()) {
            if (d == null || d.digest() == null) {
                continue;
            }
            if (!(MediaTypes.isManifest(d.mediaType()) || MediaTypes.isIndex(d.mediaType()))) {
                continue; // attestations, signatures and other artifacts
            }
            Platform p = d.platform();
            if (p == null && MediaTypes.isManifest(d.mediaType())) {
                p = configPlatform(fetcher, d, what);
            }
            offered.add(p == null ? "(none)" : Platforms.format(p));
            if (p == null || platforms.matches(p)) {
                candidates.add(new Candidate(d, p));
            }
        }
        candidates.sort(Comparator.comparing(Candidate::platform, platforms.comparator()));
        if (candidates.isEmpty()) {
            throw BerthException.notFound("%s: no match for platform %s in the index (it offers %s); choose one with"
                    + " --platform", what, platforms.describe(), offered);
        }
        return candidates.get(0).desc();
    }

    /** The platform a manifest's config declares, or null when it cannot be read. */
    private Platform configPlatform(Fetcher fetcher, Descriptor manifest, String what) {
        try {
            Manifest m = OciJson.read(manifestBytes(fetcher, manifest, "manifest " + manifest.digest() + " of " + what),
                    Manifest.class, "manifest " + manifest.digest());
            Descriptor c = m.config();
            if (c == null || c.digest() == null || c.size() > MAX_CONFIG_BYTES) {
                return null;
            }
            byte[] bytes;
            if (content.exists(c.digest())) {
                bytes = content.readAll(c, MAX_CONFIG_BYTES);
            } else {
                try (java.io.InputStream in = fetcher.fetch(c, 0)) {
                    bytes = in.readNBytes((int) c.size());
                }
            }
            if (!Digest.sha256(bytes).equals(c.digest())) {
                return null;
            }
            ImageConfig cfg = OciJson.read(bytes, ImageConfig.class, "config " + c.digest());
            return cfg.os() == null || cfg.architecture() == null ? null
                    : Platforms.normalize(Platform.of(cfg.os(), cfg.architecture(), cfg.variant()));
        } catch (BerthException | java.io.IOException e) {
            return null; // judged as an entry without a platform: acceptable, least preferred
        }
    }

    private static void downloadAll(Fetcher fetcher, List<Descriptor> blobs, Reference ref, Map<String, String> source,
                                    BlobDownloader downloader, int parallel) {
        List<Descriptor> todo = new ArrayList<>();
        for (Descriptor b : blobs) {
            if (todo.stream().noneMatch(t -> t.digest().equals(b.digest())) && !downloader.skipIfPresent(b, source)) {
                todo.add(b);
            }
        }
        if (todo.isEmpty()) {
            return;
        }
        for (Descriptor b : todo) {
            downloader.listenerWaiting(b);
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, todo.size()), r -> {
            Thread t = new Thread(r, "berth-pull");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Descriptor b : todo) {
                String what = BlobDownloader.refKey(b).replace('-', ' ') + " of " + ref;
                futures.add(pool.submit(() -> downloader.download(off -> fetcher.fetch(b, off), b, source, what)));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    pool.shutdownNow();
                    Throwable c = e.getCause();
                    if (c instanceof BerthException be) {
                        throw new BerthException(be.category(), "pulling " + ref + ": " + be.getMessage(), be);
                    }
                    throw BerthException.internal("pulling " + ref + ": " + c, c);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException(ErrorCategory.UNAVAILABLE, "pull of " + ref + " interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }
}
