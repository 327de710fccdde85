package dev.berth.engine.diff;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.mount.Mount;
import dev.berth.engine.mount.Unmount;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

/**
 * containerd's walking differ: the layer between two snapshots, given as their mounts, written into
 * the content store. Both are mounted read-only on temporary directories, compared by
 * {@link TreeDiff}, and the tar stored uncompressed or gzip-compressed (the default, as containerd)
 * with the {@code containerd.io/uncompressed} label naming the diff_id. Thread-safe.
 */
public final class WalkingDiffer {
    /** The label containerd puts on a compressed layer: the digest of its uncompressed tar. */
    public static final String UNCOMPRESSED = "containerd.io/uncompressed";
    public static final String LAYER = "application/vnd.oci.image.layer.v1.tar";
    public static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

    private final ContentStore content;
    private final Clock clock;

    public WalkingDiffer(ContentStore content, Clock clock) {
        this.content = content;
        this.clock = clock;
    }

    /**
     * Writes the changes from {@code lower} (empty: from nothing) to {@code upper} as a layer of
     * {@code mediaType} (empty: gzip) under ingest {@code ref} (empty: a fresh one) with
     * {@code labels}; returns its descriptor. NOT_IMPLEMENTED for other media types; an existing
     * identical blob is reused.
     */
    public Descriptor compare(List<Mount> lower, List<Mount> upper, String mediaType, String ref,
            Map<String, String> labels) {
        String type = mediaType == null || mediaType.isEmpty() ? LAYER_GZIP : mediaType;
        if (!type.equals(LAYER) && !type.equals(LAYER_GZIP)) {
            throw new BerthException(ErrorCategory.NOT_IMPLEMENTED, "unsupported diff media type: " + type
                    + " (use " + LAYER + " or " + LAYER_GZIP + ")");
        }
        if (upper.isEmpty()) {
            throw BerthException.invalid("the upper snapshot's mounts are required");
        }
        Path lowerDir = tempDir();
        Path upperDir = tempDir();
        try {
            if (!lower.isEmpty()) {
                Mount.mountAll(readOnly(lower), lowerDir);
            }
            Mount.mountAll(readOnly(upper), upperDir);
            return store(lowerDir, upperDir, type, ref == null || ref.isEmpty() ? "diff-" + UUID.randomUUID() : ref,
                    labels);
        } finally {
            Unmount.unmountAll(upperDir);
            Unmount.unmountAll(lowerDir);
            FileTree.deleteRecursively(upperDir);
            FileTree.deleteRecursively(lowerDir);
        }
    }

    private Descriptor store(Path lowerDir, Path upperDir, String type, String ref, Map<String, String> labels) {
        MessageDigest tarDigest = Digest.newSha256();
        ContentWriter w = content.writer(ref);
        boolean committed = false;
        try {
            w.truncate(0);
            OutputStream sink = new BufferedOutputStream(w.asOutputStream(), 1 << 16);
            boolean gzip = type.equals(LAYER_GZIP);
            OutputStream compressed = gzip ? new GZIPOutputStream(sink, 1 << 16) : sink;
            // not closed: closing would release the writer's ref before the commit
            DigestOutputStream tar = new DigestOutputStream(compressed, tarDigest);
            TreeDiff.write(lowerDir, upperDir, tar, clock.instant());
            tar.flush();
            if (gzip) {
                ((GZIPOutputStream) compressed).finish();
            }
            sink.flush();
            Map<String, String> all = new HashMap<>(labels);
            Digest diffId = Digest.of("sha256", tarDigest.digest());
            if (gzip) {
                all.put(UNCOMPRESSED, diffId.toString());
            }
            Digest d = w.digest();
            try {
                w.commit(0, d, all);
            } catch (BerthException e) {
                if (e.category() != ErrorCategory.ALREADY_EXISTS) {
                    throw e;
                }
                if (gzip && !content.info(d).labels().containsKey(UNCOMPRESSED)) {
                    content.setLabel(d, UNCOMPRESSED, diffId.toString());
                }
            }
            committed = true;
            return Descriptor.of(type, d, content.info(d).size());
        } catch (IOException e) {
            throw BerthException.internal("writing the diff layer: " + e.getMessage(), e);
        } finally {
            if (!committed) {
                w.abort();
            }
            w.close();
        }
    }

    private static List<Mount> readOnly(List<Mount> mounts) {
        List<Mount> out = new ArrayList<>();
        for (Mount m : mounts) {
            List<String> o = new ArrayList<>(m.options());
            o.removeIf(x -> x.equals("rw"));
            if (!o.contains("ro")) {
                o.add("ro");
            }
            out.add(new Mount(m.type(), m.source(), o));
        }
        return out;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("berth-diff-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
