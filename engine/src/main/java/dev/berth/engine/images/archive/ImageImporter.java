package dev.berth.engine.images.archive;

import dev.berth.engine.content.Content;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.Images;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Index;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;

/**
 * Imports images from an OCI image layout (directory or tar) or a {@code docker save} archive, as
 * {@code ctr images import} does. Every blob is verified against its digest on the way in; then
 * each image's graph is checked to be complete in the store, and only then are the image records
 * written, so a malformed or hostile archive never leaves a record pointing at missing content.
 * Blobs written before a failure stay unreferenced until garbage collection, as containerd's leased
 * import content does. Thread-safe (no state between calls).
 */
public final class ImageImporter {
    /** containerd's annotation for the full image name in an OCI layout's index.json. */
    public static final String IMAGE_NAME_ANNOTATION = "io.containerd.image.name";
    /** The OCI annotation for the reference (a tag, or a full name) of an index.json entry. */
    public static final String REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
    private static final Pattern CONFIG_FILE = Pattern.compile("(?:.*/)?([a-f0-9]{64})\\.json");

    private final ContentStore content;
    private final ImageStore images;

    public ImageImporter(ContentStore content, ImageStore images) {
        this.content = content;
        this.images = images;
    }

    private record Named(String name, Descriptor target) {
    }

    /**
     * Imports everything in {@code source} and returns the image records created or replaced.
     *
     * @throws BerthException INVALID_ARGUMENT for a malformed or hostile archive (bad names, digest
     *     mismatches as FAILED_PRECONDITION, missing blobs, unnamed images without
     *     {@link ImportOptions#name()}); NOT_FOUND when {@code source} does not exist
     */
    public List<Image> importFrom(Path source, ImportOptions opts) {
        ArchiveContents a = ArchiveContents.read(content, source);
        List<Named> named;
        if (a.metadata.containsKey("index.json")) {
            named = fromOciLayout(a, opts, source);
        } else if (a.metadata.containsKey("manifest.json")) {
            named = fromDockerArchive(a, opts, source);
        } else {
            throw BerthException.invalid("%s is neither an OCI image layout nor a docker save archive: "
                    + "it has no index.json and no manifest.json", source);
        }
        for (Named n : named) {
            requireComplete(n.target(), n.name(), 0);
        }
        List<Image> out = new ArrayList<>();
        for (Named n : named) {
            out.add(images.put(Image.of(n.name(), n.target())));
        }
        return out;
    }

    private List<Named> fromOciLayout(ArchiveContents a, ImportOptions opts, Path source) {
        byte[] layout = a.metadata.get("oci-layout");
        if (layout != null) {
            Map<?, ?> l = readJson(layout, Map.class, "oci-layout of " + source);
            if (!(l.get("imageLayoutVersion") instanceof String v) || !v.startsWith("1.")) {
                throw BerthException.invalid("%s: oci-layout has imageLayoutVersion %s; only 1.x is supported",
                        source, l.get("imageLayoutVersion"));
            }
        }
        Index idx = Images.parseIndex(a.metadata.get("index.json"), "index.json of " + source);
        List<Named> out = new ArrayList<>();
        List<Descriptor> unnamed = new ArrayList<>();
        for (Descriptor d : idx.manifests()) {
            Map<String, String> ann = d.annotations() == null ? Map.of() : d.annotations();
            String full = ann.get(IMAGE_NAME_ANNOTATION);
            String ref = ann.get(REF_NAME_ANNOTATION);
            String name;
            if (full != null && !full.isEmpty()) {
                name = full;
            } else if (ref != null && !ref.isEmpty() && (ref.contains("/") || opts.name() == null)
                    && looksLikeName(ref)) {
                name = ref;
            } else if (ref != null && !ref.isEmpty() && opts.name() != null && hasTagOrDigest(opts.name())
                    && idx.manifests().size() == 1) {
                // a full name (repository:tag) names the only image as is
                name = opts.name();
            } else if (ref != null && !ref.isEmpty() && opts.name() != null) {
                name = opts.name() + (ref.startsWith("sha256:") ? "@" : ":") + ref;
            } else {
                unnamed.add(d);
                continue;
            }
            out.add(new Named(opts.normalizer().apply(name), stripAnnotations(d)));
        }
        if (!unnamed.isEmpty()) {
            if (opts.name() == null || unnamed.size() > 1) {
                throw BerthException.invalid("%s: index.json lists %d image(s) without a name (%s); pass --name "
                        + "to name a single one", source, unnamed.size(), unnamed.get(0).digest());
            }
            out.add(new Named(opts.normalizer().apply(opts.name()), stripAnnotations(unnamed.get(0))));
        }
        if (out.isEmpty()) {
            throw BerthException.invalid("%s: index.json lists no images", source);
        }
        return out;
    }

    /** A ref name like "v1" is only a tag; "busybox:1" or "reg/x:1" is a name. */
    private static boolean looksLikeName(String ref) {
        return ref.contains("/") || ref.contains(":") && !ref.startsWith("sha256:");
    }

    private static Descriptor stripAnnotations(Descriptor d) {
        Map<String, String> ann = new LinkedHashMap<>(d.annotations() == null ? Map.of() : d.annotations());
        ann.remove(IMAGE_NAME_ANNOTATION);
        ann.remove(REF_NAME_ANNOTATION);
        return new Descriptor(d.mediaType(), d.digest(), d.size(), d.urls(), ann.isEmpty() ? null : ann,
                d.platform(), d.artifactType());
    }

    private List<Named> fromDockerArchive(ArchiveContents a, ImportOptions opts, Path source) {
        DockerManifestEntry[] entries = readJson(a.metadata.get("manifest.json"), DockerManifestEntry[].class,
                "manifest.json of " + source);
        if (entries.length == 0) {
            throw BerthException.invalid("%s: manifest.json lists no images", source);
        }
        List<Named> out = new ArrayList<>();
        for (DockerManifestEntry e : entries) {
            if (e == null || e.config() == null) {
                throw BerthException.invalid("%s: a manifest.json entry has no Config", source);
            }
            Descriptor config = a.file(e.config(), MediaTypes.DOCKER_CONFIG, "manifest.json of " + source);
            Matcher m = CONFIG_FILE.matcher(e.config());
            if (m.matches() && !config.digest().hex().equals(m.group(1))) {
                throw BerthException.precondition("%s: config file %s has digest %s, not the one its name says",
                        source, e.config(), config.digest());
            }
            ImageConfig c = Images.readConfig(content, config);
            List<Digest> diffIds = c.rootfs() == null || c.rootfs().diffIds() == null ? List.of() : c.rootfs().diffIds();
            List<String> layerFiles = e.layers() == null ? List.of() : e.layers();
            if (diffIds.size() != layerFiles.size()) {
                throw BerthException.invalid("%s: image config %s lists %d diff_ids but manifest.json lists %d layers",
                        source, e.config(), diffIds.size(), layerFiles.size());
            }
            List<Descriptor> layers = new ArrayList<>();
            for (int i = 0; i < layerFiles.size(); i++) {
                Descriptor raw = a.file(layerFiles.get(i), MediaTypes.DOCKER_LAYER, "manifest.json of " + source);
                String mt = layerMediaType(raw.digest());
                if (mt.equals(MediaTypes.DOCKER_LAYER) && !raw.digest().equals(diffIds.get(i))) {
                    throw BerthException.precondition("%s: layer %s has digest %s but the config's diff_id %d is %s",
                            source, layerFiles.get(i), raw.digest(), i, diffIds.get(i));
                }
                layers.add(Descriptor.of(mt, raw.digest(), raw.size()));
            }
            Manifest manifest = new Manifest(2, MediaTypes.DOCKER_MANIFEST, null, config, layers, null, null);
            Descriptor target = Content.writeBytes(content, MediaTypes.DOCKER_MANIFEST, OciJson.write(manifest), Map.of());
            List<String> tags = e.repoTags() == null ? List.of() : e.repoTags();
            if (tags.isEmpty()) {
                if (opts.name() == null) {
                    throw BerthException.invalid("%s: image %s has no RepoTags; pass --name", source, e.config());
                }
                out.add(new Named(opts.normalizer().apply(opts.name()), target));
            }
            for (String t : tags) {
                out.add(new Named(opts.normalizer().apply(t), target));
            }
        }
        return out;
    }

    private String layerMediaType(Digest d) {
        byte[] magic;
        try (InputStream in = content.open(d)) {
            magic = in.readNBytes(4);
        } catch (IOException e) {
            throw BerthException.unavailable("reading layer %s: %s", d, e.getMessage());
        }
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return MediaTypes.DOCKER_LAYER_GZIP;
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return MediaTypes.DOCKER_LAYER_ZSTD;
        }
        return MediaTypes.DOCKER_LAYER;
    }

    /** Checks the image graph below {@code d} is in the store and well formed; sets GC labels on parents. */
    private void requireComplete(Descriptor d, String image, int depth) {
        if (depth > 8) {
            throw BerthException.invalid("image %s: index nesting deeper than 8", image);
        }
        if (!content.exists(d.digest())) {
            throw BerthException.invalid("image %s: %s %s is not in the archive", image,
                    d.mediaType() == null ? "blob" : d.mediaType(), d.digest());
        }
        if (MediaTypes.isIndex(d.mediaType())) {
            Index idx = Images.readIndex(content, d);
            int present = 0;
            for (Descriptor c : idx.manifests()) {
                if (content.exists(c.digest())) {
                    requireComplete(c, image, depth + 1);
                    present++;
                }
            }
            if (present == 0) {
                throw BerthException.invalid("image %s: index %s lists %d manifest(s) and the archive holds none of them",
                        image, d.digest(), idx.manifests().size());
            }
            label(d, idx.manifests());
        } else if (MediaTypes.isManifest(d.mediaType())) {
            Manifest m = Images.readManifest(content, d);
            List<Descriptor> children = new ArrayList<>();
            children.add(m.config());
            children.addAll(m.layers() == null ? List.of() : m.layers());
            Set<Digest> checked = new HashSet<>();
            for (Descriptor c : children) {
                if (checked.add(c.digest()) && !content.exists(c.digest())) {
                    throw BerthException.invalid("image %s: %s %s of manifest %s is not in the archive", image,
                            c.mediaType(), c.digest(), d.digest());
                }
            }
            ImageConfig c = Images.readConfig(content, m.config());
            int diffIds = c.rootfs() == null || c.rootfs().diffIds() == null ? 0 : c.rootfs().diffIds().size();
            if (diffIds != children.size() - 1) {
                throw BerthException.invalid("image %s: config %s lists %d diff_ids but manifest %s has %d layers",
                        image, m.config().digest(), diffIds, d.digest(), children.size() - 1);
            }
            label(d, children);
        } else {
            throw BerthException.invalid("image %s: target %s has media type %s, which is neither a manifest nor an index",
                    image, d.digest(), d.mediaType());
        }
    }

    private void label(Descriptor parent, List<Descriptor> children) {
        Map<String, String> labels = Images.childGcLabels(parent, children);
        Set<String> paths = new HashSet<>();
        labels.keySet().forEach(k -> paths.add("labels." + k));
        content.update(parent.digest(), labels, paths);
    }

    private static <T> T readJson(byte[] body, Class<T> type, String what) {
        try {
            return OciJson.MAPPER.readValue(body, type);
        } catch (JacksonException e) {
            throw BerthException.invalid("%s is not valid: %s", what, e.getOriginalMessage());
        }
    }

    /** Whether {@code name} already carries a tag or digest after its last path component. */
    static boolean hasTagOrDigest(String name) {
        String last = name.substring(name.lastIndexOf('/') + 1);
        return last.contains(":") || last.contains("@");
    }
}
