package dev.berth.engine.images.archive;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Exports images from the content store as an OCI image layout (tar or directory, as
 * {@code ctr images export}) or a {@code docker save} archive. Every blob is re-hashed while it is
 * written, so a damaged store is reported rather than exported. A tar is written to a temporary
 * sibling and renamed into place, so a failed export leaves no partial file. Thread-safe (no state
 * between calls).
 */
public final class ImageExporter {
    private final ContentStore content;

    public ImageExporter(ContentStore content) {
        this.content = content;
    }

    /**
     * Exports {@code images} as an OCI image layout into the directory {@code out}, which must be
     * empty or absent. On failure the directory is emptied again.
     */
    public void exportLayout(List<Image> images, Path out, ExportOptions opts) {
        if (opts.format() != ExportOptions.Format.OCI) {
            throw BerthException.invalid("%s: a docker archive is a single tar file, not a directory", out);
        }
        if (images.isEmpty()) {
            throw BerthException.invalid("nothing to export: name at least one image");
        }
        try {
            Files.createDirectories(out);
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw BerthException.invalid("export directory %s is not empty; choose an empty or new directory", out);
                }
            }
            try (ArchiveSink sink = ArchiveSink.dir(out)) {
                write(images, sink, opts);
            } catch (IOException | RuntimeException e) {
                emptyDir(out);
                throw e;
            }
        } catch (IOException e) {
            throw BerthException.unavailable("exporting to %s: %s", out, e.getMessage());
        }
    }

    /** Exports {@code images} as a tar file {@code out} (replaced atomically when complete). */
    public void export(List<Image> images, Path out, ExportOptions opts) {
        if (Files.isDirectory(out)) {
            throw BerthException.invalid("%s is a directory; export an OCI layout into it with exportLayout "
                    + "or name a tar file", out);
        }
        Path abs = out.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                export(images, os, opts);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw BerthException.unavailable("exporting to %s: %s", out, e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    private static void emptyDir(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: the export error is what the caller needs
        }
    }

    /** Writes the export as a tar to {@code out} (not closed). */
    public void export(List<Image> images, OutputStream out, ExportOptions opts) {
        if (images.isEmpty()) {
            throw BerthException.invalid("nothing to export: name at least one image");
        }
        ArchiveSink sink = ArchiveSink.tar(out);
        try {
            write(images, sink, opts);
            sink.finish();
        } catch (IOException e) {
            throw BerthException.unavailable("writing export archive: %s", e.getMessage());
        }
    }

    private void write(List<Image> images, ArchiveSink sink, ExportOptions opts) throws IOException {
        if (opts.format() == ExportOptions.Format.DOCKER) {
            new DockerArchiveWriter(content, this).write(images, sink, opts.platforms() == null
                    ? Platforms.defaultMatcher() : opts.platforms());
            return;
        }
        PlatformMatcher matcher = opts.platforms() == null ? Platforms.all() : opts.platforms();
        sink.add("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Set<Digest> written = new LinkedHashSet<>();
        List<Descriptor> entries = new ArrayList<>();
        List<DockerManifestEntry> dockerEntries = new ArrayList<>();
        for (Image img : images) {
            List<Descriptor> blobs = new ArrayList<>();
            try {
                Images.walk(content, img.target(), matcher, true, blobs::add);
            } catch (BerthException e) {
                throw e.wrap("image " + img.name());
            }
            if (MediaTypes.isIndex(img.target().mediaType()) && blobs.stream().noneMatch(d -> MediaTypes.isManifest(d.mediaType()))) {
                throw BerthException.notFound("image %s has no manifest for %s in the content store", img.name(),
                        matcher.describe());
            }
            for (Descriptor d : blobs) {
                if (written.add(d.digest())) {
                    blob(sink, "blobs/" + d.digest().algorithm() + "/" + d.digest().hex(), d, img.name());
                }
            }
            Map<String, String> ann = new LinkedHashMap<>(img.target().annotations() == null ? Map.of()
                    : img.target().annotations());
            ann.put(ImageImporter.IMAGE_NAME_ANNOTATION, img.name());
            String tag = tagOf(img.name());
            if (tag != null) {
                ann.put(ImageImporter.REF_NAME_ANNOTATION, tag);
            }
            entries.add(img.target().withAnnotations(ann));
            if (opts.dockerManifest()) {
                dockerEntry(img, opts.platforms() == null ? Platforms.defaultMatcher() : matcher, written)
                        .ifPresent(dockerEntries::add);
            }
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.put("manifests", entries);
        sink.add("index.json", OciJson.write(index));
        if (!dockerEntries.isEmpty()) {
            sink.add("manifest.json", OciJson.write(dockerEntries));
        }
    }

    private java.util.Optional<DockerManifestEntry> dockerEntry(Image img, PlatformMatcher m, Set<Digest> written) {
        ResolvedImage r;
        try {
            r = Images.resolve(content, img.target(), m);
        } catch (BerthException e) {
            if (e.category() == ErrorCategory.NOT_FOUND) {
                return java.util.Optional.empty();
            }
            throw e;
        }
        if (!written.contains(r.configDescriptor().digest())) {
            return java.util.Optional.empty();
        }
        List<String> layers = r.layers().stream().map(l -> "blobs/" + l.digest().algorithm() + "/" + l.digest().hex()).toList();
        return java.util.Optional.of(new DockerManifestEntry("blobs/sha256/" + r.configDescriptor().digest().hex(),
                tagOf(img.name()) == null ? List.of() : List.of(familiar(img.name())), layers));
    }

    /** Copies one blob into the sink, verifying its digest and size on the way. */
    void blob(ArchiveSink sink, String name, Descriptor d, String image) throws IOException {
        long size;
        try {
            size = content.info(d.digest()).size();
        } catch (BerthException e) {
            throw new BerthException(e.category(), "image " + image + ": " + (d.mediaType() == null ? "blob" : d.mediaType())
                    + " " + d.digest() + " is not in the content store; pull or import the image again", e);
        }
        MessageDigest md = d.digest().newHasher();
        try (InputStream in = new FilterInputStream(content.open(d.digest())) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    md.update(b, off, n);
                }
                return n;
            }
        }) {
            sink.add(name, size, in);
        }
        Digest actual = Digest.of(d.digest().algorithm(), md.digest());
        if (!actual.equals(d.digest())) {
            throw BerthException.precondition("image %s: content %s is corrupt in the store (its bytes hash to %s); "
                    + "delete it and pull the image again", image, d.digest(), actual);
        }
    }

    /** The short name docker prints ({@code busybox:latest}); names that are not references stay as they are. */
    static String familiar(String name) {
        try {
            return dev.berth.engine.remotes.Reference.parse(name).familiar();
        } catch (BerthException e) {
            return name;
        }
    }

    /** The tag of {@code repo:tag} (null for a name without one, e.g. {@code repo@sha256:…}). */
    static String tagOf(String name) {
        int at = name.indexOf('@');
        String n = at >= 0 ? name.substring(0, at) : name;
        int colon = n.lastIndexOf(':');
        return colon > n.lastIndexOf('/') ? n.substring(colon + 1) : null;
    }
}
