package dev.berth.engine.transfer;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Index;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.remotes.Pusher;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.remotes.docker.RegistryOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Pushes an image from the content store to a registry, as {@code ctr images push}: every blob the
 * image references (all platforms of an index) is checked with HEAD and uploaded only when missing,
 * blobs before the manifests that name them, child manifests by digest, and the root manifest or
 * index last under the reference's tag. Thread-safe.
 */
public final class ImagePusher {
    private final ContentStore content;
    private final ImageStore images;
    private final Resolver resolver;

    public ImagePusher(ContentStore content, ImageStore images, Resolver resolver) {
        this.content = content;
        this.images = images;
        this.resolver = resolver;
    }

    /**
     * Pushes the image record {@code localName} to {@code dest}. Fails with NOT_FOUND when the image
     * is unknown, FAILED_PRECONDITION when a blob it references is not in the store (pull all
     * platforms first), PERMISSION_DENIED when the registry refuses.
     */
    public Descriptor push(String localName, Reference dest, PullOptions options) {
        Image img = images.get(localName);
        Pusher pusher = resolver.pusher(dest);
        Map<String, Descriptor> blobs = new LinkedHashMap<>();
        List<Descriptor> manifests = new ArrayList<>();
        collect(img.target(), localName, blobs, manifests, 0);
        uploadAll(pusher, new ArrayList<>(blobs.values()), dest, options);
        for (Descriptor m : manifests) {
            byte[] body = content.readAll(m, RegistryOptions.MAX_MANIFEST_SIZE);
            boolean root = m.digest().equals(img.target().digest());
            if (!root && pusher.exists(m)) {
                continue;
            }
            String tag = root && dest.tag() != null ? dest.tag() : m.digest().toString();
            pusher.pushManifest(m, body, tag);
            options.listener().update(new BlobProgress(BlobDownloader.refKey(m), m, m.size(), BlobProgress.Phase.DONE));
        }
        return img.target();
    }

    /** Children first: blobs by digest, manifests in an order where each follows its children. */
    private void collect(Descriptor d, String name, Map<String, Descriptor> blobs, List<Descriptor> manifests,
                         int depth) {
        if (depth > 4) {
            throw BerthException.precondition("image %s: indexes nested more than 4 deep", name);
        }
        if (!content.exists(d.digest())) {
            throw BerthException.precondition("image %s: %s %s is not in the content store; pull it (all platforms)"
                    + " before pushing", name, d.mediaType(), d.digest());
        }
        if (MediaTypes.isIndex(d.mediaType())) {
            Index idx = OciJson.read(content.readAll(d, RegistryOptions.MAX_MANIFEST_SIZE), Index.class, "index " + d.digest());
            for (Descriptor c : idx.manifests() == null ? List.<Descriptor>of() : idx.manifests()) {
                collect(c, name, blobs, manifests, depth + 1);
            }
        } else if (MediaTypes.isManifest(d.mediaType())) {
            Manifest m = OciJson.read(content.readAll(d, RegistryOptions.MAX_MANIFEST_SIZE), Manifest.class,
                    "manifest " + d.digest());
            for (Descriptor c : childrenOf(m)) {
                if (!content.exists(c.digest())) {
                    throw BerthException.precondition("image %s: blob %s of manifest %s is not in the content store;"
                            + " pull the image again before pushing", name, c.digest(), d.digest());
                }
                blobs.putIfAbsent(c.digest().toString(), c);
            }
        } else {
            blobs.putIfAbsent(d.digest().toString(), d);
            return;
        }
        manifests.add(d);
    }

    private static List<Descriptor> childrenOf(Manifest m) {
        List<Descriptor> out = new ArrayList<>();
        if (m.config() != null) {
            out.add(m.config());
        }
        if (m.layers() != null) {
            out.addAll(m.layers());
        }
        return out;
    }

    private void uploadAll(Pusher pusher, List<Descriptor> blobs, Reference dest, PullOptions options) {
        if (blobs.isEmpty()) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.maxConcurrentDownloads(), blobs.size()),
                r -> {
                    Thread t = new Thread(r, "berth-push");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (Descriptor b : blobs) {
                fs.add(pool.submit(() -> {
                    String ref = BlobDownloader.refKey(b);
                    if (pusher.exists(b)) {
                        options.listener().update(new BlobProgress(ref, b, b.size(), BlobProgress.Phase.EXISTS));
                        return;
                    }
                    options.listener().update(new BlobProgress(ref, b, 0, BlobProgress.Phase.DOWNLOADING));
                    pusher.pushBlob(b, () -> content.open(b.digest()));
                    options.listener().update(new BlobProgress(ref, b, b.size(), BlobProgress.Phase.DONE));
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof BerthException be) {
                throw new BerthException(be.category(), "pushing to " + dest + ": " + be.getMessage(), be);
            }
            throw BerthException.internal("pushing to " + dest + ": " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException(ErrorCategory.UNAVAILABLE, "push to " + dest + " interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }
}
