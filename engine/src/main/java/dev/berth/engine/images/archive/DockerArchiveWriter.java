package dev.berth.engine.images.archive;

import dev.berth.engine.content.ContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.OciJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the {@code docker save} layout: {@code <config hex>.json}, one {@code <diff_id hex>/layer.tar}
 * (uncompressed, verified against the config's diff_id) per layer, {@code manifest.json} and
 * {@code repositories}. Not thread-safe.
 */
final class DockerArchiveWriter {
    private final ContentStore content;
    private final ImageExporter exporter;

    DockerArchiveWriter(ContentStore content, ImageExporter exporter) {
        this.content = content;
        this.exporter = exporter;
    }

    void write(List<Image> images, ArchiveSink sink, PlatformMatcher matcher) throws IOException {
        List<DockerManifestEntry> entries = new ArrayList<>();
        Map<String, Map<String, String>> repositories = new LinkedHashMap<>();
        Set<Digest> written = new HashSet<>();
        for (Image img : images) {
            ResolvedImage r;
            try {
                r = Images.resolve(content, img.target(), matcher);
            } catch (BerthException e) {
                throw e.wrap("image " + img.name());
            }
            String configName = r.configDescriptor().digest().hex() + ".json";
            if (written.add(r.configDescriptor().digest())) {
                exporter.blob(sink, configName, r.configDescriptor(), img.name());
            }
            List<String> layers = new ArrayList<>();
            for (int i = 0; i < r.layers().size(); i++) {
                Digest diffId = r.diffIds().get(i);
                String name = diffId.hex() + "/layer.tar";
                if (written.add(diffId)) {
                    layer(sink, name, r.layers().get(i).digest(), diffId, img.name());
                }
                layers.add(name);
            }
            String familiar = ImageExporter.familiar(img.name());
            String tag = ImageExporter.tagOf(familiar);
            entries.add(new DockerManifestEntry(configName, tag == null ? List.of() : List.of(familiar), layers));
            if (tag != null && !layers.isEmpty()) {
                String repo = familiar.substring(0, familiar.length() - tag.length() - 1);
                repositories.computeIfAbsent(repo, k -> new LinkedHashMap<>())
                        .put(tag, r.diffIds().get(r.diffIds().size() - 1).hex());
            }
        }
        sink.add("manifest.json", OciJson.write(entries));
        sink.add("repositories", OciJson.write(repositories));
    }

    private void layer(ArchiveSink sink, String name, Digest blob, Digest diffId, String image) throws IOException {
        Path tmp = Files.createTempFile("berth-export-", ".tar");
        try {
            MessageDigest md = Digest.newSha256();
            try (InputStream in = LayerStreams.uncompressed(content.open(blob));
                    OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 20];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            } catch (BerthException e) {
                throw e.wrap("image " + image + ": layer " + blob);
            } catch (IOException e) {
                throw BerthException.precondition("image %s: layer %s cannot be decompressed: %s", image, blob, e.getMessage());
            }
            Digest actual = Digest.of("sha256", md.digest());
            if (!actual.equals(diffId)) {
                throw BerthException.precondition("image %s: layer %s uncompresses to %s, not the config's diff_id %s",
                        image, blob, actual, diffId);
            }
            try (InputStream in = Files.newInputStream(tmp)) {
                sink.add(name, Files.size(tmp), in);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
