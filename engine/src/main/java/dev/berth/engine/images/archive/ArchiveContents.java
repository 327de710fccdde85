package dev.berth.engine.images.archive;

import dev.berth.engine.content.Content;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an image archive holds after one pass: every regular file written into the content store
 * (blobs under {@code blobs/<alg>/<hex>} verified against their names, other files under the
 * digest of their bytes), symlinks, and the small metadata files kept in memory
 * ({@code oci-layout}, {@code index.json}, {@code manifest.json}, {@code repositories}). Not
 * thread-safe.
 */
final class ArchiveContents {
    static final long MAX_METADATA_BYTES = 4L << 20;
    private static final Set<String> METADATA = Set.of("oci-layout", "index.json", "manifest.json", "repositories");
    private static final Pattern BLOB = Pattern.compile("blobs/([^/]+)/([^/]+)");

    final Map<String, byte[]> metadata = new HashMap<>();
    private final Map<String, Digest> files = new HashMap<>();
    private final Map<String, Long> sizes = new HashMap<>();
    private final Map<String, String> links = new HashMap<>();
    private final ContentStore content;
    private final String importId = UUID.randomUUID().toString();
    private final Consumer<Digest> hold;

    private ArchiveContents(ContentStore content, Consumer<Digest> hold) {
        this.content = content;
        this.hold = hold;
    }

    /**
     * Reads {@code source} (a tar, compressed or not, or a layout directory) into the store, calling
     * {@code hold} with each blob's digest before the blob is looked up or committed (to add it to a
     * lease).
     */
    static ArchiveContents read(ContentStore content, Path source, Consumer<Digest> hold) {
        ArchiveContents c = new ArchiveContents(content, hold);
        try (ArchiveSource src = ArchiveSource.open(source)) {
            ArchiveSource.Entry e;
            while ((e = src.next()) != null) {
                c.add(e);
            }
        } catch (IOException e) {
            throw BerthException.invalid("%s is not a readable image archive: %s", source, e.getMessage());
        }
        return c;
    }

    private void add(ArchiveSource.Entry e) throws IOException {
        String name = ArchivePaths.clean(e.rawName());
        switch (e.kind()) {
            case DIR -> {
                // directories carry nothing an import needs
            }
            case SYMLINK -> links.put(name, ArchivePaths.resolveLink(name, e.link()));
            case HARDLINK -> links.put(name, ArchivePaths.clean(e.link()));
            case OTHER -> throw BerthException.invalid("archive entry \"%s\" is a device, fifo or other special file; "
                    + "image archives hold only files, directories and links", name);
            case FILE -> addFile(name, e);
            default -> throw new IllegalStateException(e.kind().toString());
        }
    }

    private void addFile(String name, ArchiveSource.Entry e) throws IOException {
        if (METADATA.contains(name)) {
            if (e.size() > MAX_METADATA_BYTES) {
                throw BerthException.invalid("archive file %s is %d bytes, more than the %d allowed", name, e.size(),
                        MAX_METADATA_BYTES);
            }
            if (metadata.put(name, e.data().readNBytes((int) e.size())) != null) {
                throw BerthException.invalid("archive holds %s twice", name);
            }
            return;
        }
        if (name.endsWith("/VERSION") || name.endsWith("/json")) {
            return; // legacy per-layer metadata of docker save: not needed
        }
        Matcher m = BLOB.matcher(name);
        Digest expected = null;
        if (m.matches()) {
            try {
                expected = new Digest(m.group(1), m.group(2));
            } catch (BerthException ex) {
                throw BerthException.invalid("archive entry %s is under blobs/ but not named by a valid digest", name);
            }
        }
        Digest d = expected != null ? writeKnown(name, expected, e) : writeUnknown(name, e);
        files.put(name, d);
        sizes.put(name, e.size());
    }

    private Digest writeKnown(String name, Digest expected, ArchiveSource.Entry e) {
        Descriptor desc = Descriptor.of("application/octet-stream", expected, e.size());
        hold.accept(expected);
        ContentWriter w;
        try {
            w = Content.openWriter(content, "import-" + expected, desc, Duration.ofMinutes(1));
        } catch (BerthException ex) {
            if (ex.category() == ErrorCategory.ALREADY_EXISTS) {
                return expected;
            }
            throw ex;
        }
        try (w) {
            return Content.copy(w, e.data(), desc, Map.of());
        } catch (BerthException ex) {
            throw ex.wrap("archive entry " + name);
        }
    }

    private Digest writeUnknown(String name, ArchiveSource.Entry e) throws IOException {
        String ref = "import-" + importId + "-" + name;
        try (ContentWriter w = content.writer(ref)) {
            try {
                Content.copyRest(w, e.data());
                if (w.offset() != e.size()) {
                    throw BerthException.invalid("archive entry %s is truncated: %d of %d bytes", name, w.offset(), e.size());
                }
                Digest d = w.digest();
                hold.accept(d);
                try {
                    w.commit(e.size(), d);
                } catch (BerthException ex) {
                    if (ex.category() != ErrorCategory.ALREADY_EXISTS) {
                        throw ex;
                    }
                }
                return d;
            } catch (IOException | RuntimeException ex) {
                w.close();
                try {
                    content.abort(ref);
                } catch (BerthException ignored) {
                    // committed or already gone
                }
                throw ex;
            }
        }
    }

    /** The stored blob of archive path {@code name} (following symlinks), or INVALID_ARGUMENT naming {@code what}. */
    Descriptor file(String name, String mediaType, String what) {
        String p = ArchivePaths.clean(name);
        for (int hops = 0; links.containsKey(p); hops++) {
            if (hops > 16) {
                throw BerthException.invalid("archive symlink %s loops", name);
            }
            p = links.get(p);
        }
        Digest d = files.get(p);
        if (d == null) {
            throw BerthException.invalid("%s names %s, which is not a file in the archive", what, name);
        }
        return Descriptor.of(mediaType, d, sizes.get(p));
    }
}
