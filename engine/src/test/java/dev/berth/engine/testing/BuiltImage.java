package dev.berth.engine.testing;

import dev.berth.engine.content.Content;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * An image built in memory by {@link OciImageBuilder}: its target (a manifest, or an index over
 * several), every blob by digest, and for a single manifest its parsed parts. Writes itself into a
 * {@link ContentStore}, an OCI image layout directory or an OCI layout tar, with code independent
 * of the engine's exporter. Immutable.
 */
public final class BuiltImage {
    private final Descriptor target;
    private final Map<Digest, byte[]> blobs;
    private final Manifest manifest;
    private final ImageConfig config;
    private final List<Digest> diffIds;
    private final List<BuiltImage> children;

    BuiltImage(Descriptor target, Map<Digest, byte[]> blobs, Manifest manifest, ImageConfig config,
            List<Digest> diffIds, List<BuiltImage> children) {
        this.target = target;
        this.blobs = Collections.unmodifiableMap(new LinkedHashMap<>(blobs));
        this.manifest = manifest;
        this.config = config;
        this.diffIds = diffIds;
        this.children = children;
    }

    /** The manifest or index descriptor an image record points at. */
    public Descriptor target() {
        return target;
    }

    /** Every blob (index, manifests, configs, layers) by digest, in write order. */
    public Map<Digest, byte[]> blobs() {
        return blobs;
    }

    /** The manifest (null for an index). */
    public Manifest manifest() {
        return manifest;
    }

    /** The image config (null for an index). */
    public ImageConfig config() {
        return config;
    }

    public Descriptor configDescriptor() {
        return manifest.config();
    }

    public List<Descriptor> layers() {
        return manifest.layers();
    }

    /** The uncompressed layer digests, bottom first (null for an index). */
    public List<Digest> diffIds() {
        return diffIds;
    }

    /** The per-platform images of an index (empty for a single manifest). */
    public List<BuiltImage> children() {
        return children;
    }

    public boolean isIndex() {
        return MediaTypes.isIndex(target.mediaType());
    }

    /** The total size of all blobs. */
    public long size() {
        return blobs.values().stream().mapToLong(b -> b.length).sum();
    }

    /** Writes every blob into {@code store} (blobs already there are kept). */
    public void writeTo(ContentStore store) {
        for (Map.Entry<Digest, byte[]> e : blobs.entrySet()) {
            Descriptor d = Descriptor.of("application/octet-stream", e.getKey(), e.getValue().length);
            Content.writeBlob(store, "test-" + e.getKey(), new ByteArrayInputStream(e.getValue()), d, Map.of());
        }
    }

    /**
     * Writes an OCI image layout into {@code dir} ({@code oci-layout}, {@code index.json},
     * {@code blobs/sha256/…}); {@code refName} (may be null) becomes the
     * {@code org.opencontainers.image.ref.name} annotation, as skopeo writes it for
     * {@code oci:DIR:TAG}.
     */
    public void writeLayout(Path dir, String refName) {
        try {
            for (Map.Entry<String, byte[]> e : layoutFiles(refName).entrySet()) {
                Path p = dir.resolve(e.getKey());
                Files.createDirectories(p.getParent());
                Files.write(p, e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the same layout as a tar (what {@code ctr images export} produces). */
    /**
     * Imports this image into {@code engine} as image {@code name} through the importer, as users
     * get images in (it writes the GC labels that keep the config and layers referenced), by way of
     * an OCI layout written to {@code layoutDir}.
     */
    public void importInto(dev.berth.engine.Engine engine, Path layoutDir, String name) {
        writeLayout(layoutDir, "latest");
        new dev.berth.engine.images.archive.ImageImporter(engine.content(), engine.images(), engine.leases())
                .importFrom(layoutDir, dev.berth.engine.images.archive.ImportOptions.defaults().withName(name));
    }

    public void writeLayoutTar(Path tarFile, String refName) {
        writeTar(tarFile, layoutFiles(refName));
    }

    /** The files of an OCI layout, by relative path, in tar order. */
    public Map<String, byte[]> layoutFiles(String refName) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        Descriptor entry = refName == null ? target
                : target.withAnnotations(Map.of("org.opencontainers.image.ref.name", refName));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.put("manifests", List.of(entry));
        files.put("index.json", OciJson.write(index));
        for (Map.Entry<Digest, byte[]> e : blobs.entrySet()) {
            files.put("blobs/" + e.getKey().algorithm() + "/" + e.getKey().hex(), e.getValue());
        }
        return files;
    }

    /** Writes {@code files} (relative path → bytes) as a tar with parent directories. */
    public static void writeTar(Path tarFile, Map<String, byte[]> files) {
        try (OutputStream out = Files.newOutputStream(tarFile);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            List<String> dirs = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                String name = e.getKey();
                for (int i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
                    String d = name.substring(0, i + 1);
                    if (!dirs.contains(d)) {
                        dirs.add(d);
                        tar.putArchiveEntry(new TarArchiveEntry(d));
                        tar.closeArchiveEntry();
                    }
                }
                TarArchiveEntry t = new TarArchiveEntry(name);
                t.setSize(e.getValue().length);
                tar.putArchiveEntry(t);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
