package dev.berth.engine.images;

import dev.berth.engine.content.ContentProvider;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Index;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.oci.Platform;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Reading images out of the content store, as containerd's {@code core/images}: decode and validate
 * manifests, indexes and configs; choose the manifest for a platform from an index; walk every blob
 * an image references; compute chain IDs and sizes; the GC reference labels a parent carries for its
 * children. Stateless and thread-safe.
 */
public final class Images {
    /** Largest manifest or index accepted (containerd refuses bigger ones too). */
    public static final long MAX_MANIFEST_BYTES = 4L << 20;
    /** Largest image config accepted. */
    public static final long MAX_CONFIG_BYTES = 20L << 20;
    /** Deepest nesting of indexes followed. */
    private static final int MAX_DEPTH = 8;

    private Images() {
    }

    /** Decodes and validates a manifest body; {@code what} names it in errors. */
    public static Manifest parseManifest(byte[] body, String what) {
        JsonNode n = tree(body, what);
        if (n.has("fsLayers")) {
            throw BerthException.invalid("%s is a Docker schema 1 manifest, which is not supported; "
                    + "re-push the image with a current Docker or use its schema 2/OCI form", what);
        }
        if (n.has("manifests")) {
            throw BerthException.invalid("%s is described as a manifest but its body is an index (has \"manifests\")", what);
        }
        Manifest m = OciJson.read(body, Manifest.class, what);
        if (m.config() == null || m.config().digest() == null) {
            throw BerthException.invalid("%s has no config descriptor", what);
        }
        for (Descriptor l : m.layers() == null ? List.<Descriptor>of() : m.layers()) {
            if (l.digest() == null || l.size() < 0) {
                throw BerthException.invalid("%s has a layer without digest or with a negative size", what);
            }
        }
        return m;
    }

    /** Decodes and validates an index body. */
    public static Index parseIndex(byte[] body, String what) {
        JsonNode n = tree(body, what);
        if (n.has("config") || n.has("layers") || n.has("fsLayers")) {
            throw BerthException.invalid("%s is described as an index but its body is a manifest", what);
        }
        Index i = OciJson.read(body, Index.class, what);
        if (i.manifests() == null) {
            return new Index(i.schemaVersion(), i.mediaType(), List.of(), i.annotations());
        }
        for (Descriptor d : i.manifests()) {
            if (d.digest() == null) {
                throw BerthException.invalid("%s has an entry without a digest", what);
            }
        }
        return i;
    }

    private static JsonNode tree(byte[] body, String what) {
        try {
            JsonNode n = OciJson.MAPPER.readTree(body);
            if (n == null || !n.isObject()) {
                throw BerthException.invalid("%s is not a JSON object", what);
            }
            return n;
        } catch (JacksonException e) {
            throw BerthException.invalid("%s is not valid JSON: %s", what, e.getOriginalMessage());
        }
    }

    public static Manifest readManifest(ContentProvider p, Descriptor d) {
        return parseManifest(p.readAll(d, MAX_MANIFEST_BYTES), "manifest " + d.digest());
    }

    public static Index readIndex(ContentProvider p, Descriptor d) {
        return parseIndex(p.readAll(d, MAX_MANIFEST_BYTES), "index " + d.digest());
    }

    public static ImageConfig readConfig(ContentProvider p, Descriptor d) {
        return OciJson.read(p.readAll(d, MAX_CONFIG_BYTES), ImageConfig.class, "image config " + d.digest());
    }

    /** The direct children of a blob: an index's manifests, a manifest's config then layers; else none. */
    public static List<Descriptor> children(ContentProvider p, Descriptor d) {
        if (MediaTypes.isIndex(d.mediaType())) {
            return readIndex(p, d).manifests();
        }
        if (MediaTypes.isManifest(d.mediaType())) {
            Manifest m = readManifest(p, d);
            List<Descriptor> out = new ArrayList<>();
            out.add(m.config());
            if (m.layers() != null) {
                out.addAll(m.layers());
            }
            return out;
        }
        return List.of();
    }

    /**
     * The GC reference labels a parent carries for its children, as containerd sets them on pull:
     * index → {@code containerd.io/gc.ref.content.m.<i>}; manifest → {@code …content.config} and
     * {@code …content.l.<i>}.
     */
    public static Map<String, String> childGcLabels(Descriptor parent, List<Descriptor> children) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (MediaTypes.isIndex(parent.mediaType())) {
            for (int i = 0; i < children.size(); i++) {
                labels.put("containerd.io/gc.ref.content.m." + i, children.get(i).digest().toString());
            }
        } else if (MediaTypes.isManifest(parent.mediaType())) {
            for (int i = 0; i < children.size(); i++) {
                String key = i == 0 ? "containerd.io/gc.ref.content.config" : "containerd.io/gc.ref.content.l." + (i - 1);
                labels.put(key, children.get(i).digest().toString());
            }
        }
        return labels;
    }

    /**
     * Visits {@code root} and everything it references, parents before children, each digest once.
     * Index entries {@code matcher} rejects are skipped (entries without a platform are kept); with
     * {@code skipMissing} a child manifest absent from the store is skipped instead of failing, which
     * is how single-platform pulls and exports leave an index.
     */
    public static void walk(ContentProvider p, Descriptor root, PlatformMatcher matcher, boolean skipMissing,
            Consumer<Descriptor> visitor) {
        walk(p, root, matcher, skipMissing, visitor, new LinkedHashSet<>(), 0);
    }

    private static void walk(ContentProvider p, Descriptor d, PlatformMatcher matcher, boolean skipMissing,
            Consumer<Descriptor> visitor, Set<Digest> seen, int depth) {
        if (depth > MAX_DEPTH) {
            throw BerthException.invalid("image graph below %s is nested deeper than %d levels", d.digest(), MAX_DEPTH);
        }
        if (!seen.add(d.digest())) {
            return;
        }
        visitor.accept(d);
        if (MediaTypes.isIndex(d.mediaType())) {
            for (Descriptor c : readIndex(p, d).manifests()) {
                if (c.platform() != null && !matcher.matches(c.platform())) {
                    continue;
                }
                if (skipMissing && !existsIn(p, c.digest())) {
                    continue;
                }
                walk(p, c, matcher, skipMissing, visitor, seen, depth + 1);
            }
        } else if (MediaTypes.isManifest(d.mediaType())) {
            for (Descriptor c : children(p, d)) {
                walk(p, c, matcher, skipMissing, visitor, seen, depth + 1);
            }
        }
    }

    private static boolean existsIn(ContentProvider p, Digest d) {
        if (p instanceof dev.berth.engine.content.ContentManager m) {
            return m.exists(d);
        }
        try {
            p.open(d).close();
            return true;
        } catch (BerthException | java.io.IOException e) {
            return false;
        }
    }

    /**
     * The manifest of {@code target} for the best platform {@code matcher} accepts. An index's
     * entries are filtered and stably sorted by preference (entries without a platform last, judged
     * by their config); nested indexes are followed.
     *
     * @throws BerthException NOT_FOUND "no match for platform" listing what the image offers
     */
    public static Descriptor manifestFor(ContentProvider p, Descriptor target, PlatformMatcher matcher) {
        return manifestFor(p, target, matcher, 0);
    }

    private static Descriptor manifestFor(ContentProvider p, Descriptor d, PlatformMatcher matcher, int depth) {
        if (depth > MAX_DEPTH) {
            throw BerthException.invalid("image index %s is nested deeper than %d levels", d.digest(), MAX_DEPTH);
        }
        if (MediaTypes.isManifest(d.mediaType())) {
            Manifest m = readManifest(p, d);
            ImageConfig c = readConfig(p, m.config());
            Platform cp = configPlatform(c);
            if (cp != null && !matcher.matches(cp)) {
                throw BerthException.notFound("no match for platform %s in manifest %s, which is for %s",
                        matcher.describe(), d.digest(), Platforms.format(Platforms.normalize(cp)));
            }
            return d;
        }
        if (!MediaTypes.isIndex(d.mediaType())) {
            throw BerthException.invalid("%s has media type %s, which is neither a manifest nor an index",
                    d.digest(), d.mediaType());
        }
        Index idx = readIndex(p, d);
        List<Descriptor> candidates = new ArrayList<>();
        List<String> offered = new ArrayList<>();
        for (Descriptor c : idx.manifests()) {
            if (c.platform() != null) {
                offered.add(Platforms.format(Platforms.normalize(c.platform())));
                if (matcher.matches(c.platform())) {
                    candidates.add(c);
                }
            } else if (MediaTypes.isManifest(c.mediaType()) || MediaTypes.isIndex(c.mediaType())) {
                candidates.add(c);
            }
        }
        candidates.sort(Comparator.comparing(Descriptor::platform, Comparator.nullsLast(matcher.comparator())));
        for (Descriptor c : candidates) {
            if (!existsIn(p, c.digest())) {
                continue;
            }
            try {
                return manifestFor(p, c, matcher, depth + 1);
            } catch (BerthException e) {
                if (e.category() != dev.berth.engine.errdefs.ErrorCategory.NOT_FOUND) {
                    throw e;
                }
            }
        }
        if (!candidates.isEmpty() && candidates.stream().noneMatch(c -> existsIn(p, c.digest()))) {
            throw BerthException.notFound("manifest %s for platform %s (listed in index %s) is not in the content store; "
                    + "pull the image for that platform", candidates.get(0).digest(), matcher.describe(), d.digest());
        }
        throw BerthException.notFound("no match for platform %s in manifest %s; the image offers %s",
                matcher.describe(), d.digest(), offered.isEmpty() ? "no platforms" : String.join(", ", offered));
    }

    /** The platform an image config declares (null when it names none). */
    public static Platform configPlatform(ImageConfig c) {
        if (c.os() == null || c.os().isEmpty() || c.architecture() == null || c.architecture().isEmpty()) {
            return null;
        }
        return Platform.of(c.os(), c.architecture(), c.variant());
    }

    /** Resolves {@code target} for the best platform {@code matcher} accepts. */
    public static ResolvedImage resolve(ContentProvider p, Descriptor target, PlatformMatcher matcher) {
        Descriptor md = manifestFor(p, target, matcher);
        Manifest m = readManifest(p, md);
        ImageConfig c = readConfig(p, m.config());
        List<Digest> diffIds = c.rootfs() == null || c.rootfs().diffIds() == null ? List.of() : c.rootfs().diffIds();
        int layers = m.layers() == null ? 0 : m.layers().size();
        if (diffIds.size() != layers) {
            throw BerthException.invalid("image config %s lists %d diff_ids but manifest %s has %d layers",
                    m.config().digest(), diffIds.size(), md.digest(), layers);
        }
        Platform pl = configPlatform(c);
        return new ResolvedImage(target, md, m, m.config(), c, pl == null ? null : Platforms.normalize(pl),
                diffIds, chainIds(diffIds));
    }

    /**
     * Checks which blobs the image needs for the best platform {@code matcher} accepts and which the
     * store holds, without failing on missing content (drift: a deleted blob). Malformed manifests
     * still fail with INVALID_ARGUMENT; an index without any entry for the platform fails with
     * NOT_FOUND.
     */
    public static ContentCheck check(ContentProvider store, Descriptor target, PlatformMatcher matcher) {
        List<Descriptor> required = new ArrayList<>();
        List<Descriptor> present = new ArrayList<>();
        List<Descriptor> missing = new ArrayList<>();
        Descriptor d = target;
        for (int depth = 0; depth <= MAX_DEPTH; depth++) {
            required.add(d);
            if (!existsIn(store, d.digest())) {
                missing.add(d);
                break;
            }
            present.add(d);
            if (MediaTypes.isIndex(d.mediaType())) {
                d = bestEntry(store, d, matcher);
                continue;
            }
            if (MediaTypes.isManifest(d.mediaType())) {
                Manifest m = readManifest(store, d);
                List<Descriptor> children = new ArrayList<>();
                children.add(m.config());
                children.addAll(m.layers() == null ? List.of() : m.layers());
                for (Descriptor c : children) {
                    required.add(c);
                    (existsIn(store, c.digest()) ? present : missing).add(c);
                }
            }
            break;
        }
        return new ContentCheck(required, present, missing);
    }

    private static Descriptor bestEntry(ContentProvider p, Descriptor index, PlatformMatcher matcher) {
        List<Descriptor> candidates = new ArrayList<>();
        List<String> offered = new ArrayList<>();
        for (Descriptor c : readIndex(p, index).manifests()) {
            if (c.platform() == null) {
                candidates.add(c);
            } else {
                offered.add(Platforms.format(Platforms.normalize(c.platform())));
                if (matcher.matches(c.platform())) {
                    candidates.add(c);
                }
            }
        }
        candidates.sort(Comparator.comparing(Descriptor::platform, Comparator.nullsLast(matcher.comparator())));
        if (candidates.isEmpty()) {
            throw BerthException.notFound("no match for platform %s in manifest %s; the image offers %s",
                    matcher.describe(), index.digest(), offered.isEmpty() ? "no platforms" : String.join(", ", offered));
        }
        return candidates.get(0);
    }

    /** The platforms an image offers: its index entries' platforms, or its config's platform. */
    public static List<Platform> platforms(ContentProvider p, Descriptor target) {
        if (MediaTypes.isManifest(target.mediaType())) {
            Platform pl = configPlatform(readConfig(p, readManifest(p, target).config()));
            return pl == null ? List.of() : List.of(Platforms.normalize(pl));
        }
        List<Platform> out = new ArrayList<>();
        for (Descriptor c : readIndex(p, target).manifests()) {
            if (c.platform() != null) {
                out.add(Platforms.normalize(c.platform()));
            } else if (MediaTypes.isManifest(c.mediaType()) && existsIn(p, c.digest())) {
                out.addAll(platforms(p, c));
            }
        }
        return out;
    }

    /**
     * The chain ID of a layer stack (image-spec): {@code ChainID(L0) = DiffID(L0)},
     * {@code ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))}.
     */
    public static Digest chainId(List<Digest> diffIds) {
        List<Digest> ids = chainIds(diffIds);
        return ids.isEmpty() ? null : ids.get(ids.size() - 1);
    }

    /** The chain ID of every prefix of the stack, bottom first. */
    public static List<Digest> chainIds(List<Digest> diffIds) {
        List<Digest> out = new ArrayList<>(diffIds.size());
        Digest prev = null;
        for (Digest d : diffIds) {
            prev = prev == null ? d : Digest.sha256(prev + " " + d);
            out.add(prev);
        }
        return out;
    }
}
