package dev.berth.engine.images.archive;

import dev.berth.engine.fs.CloseShieldOutputStream;
import dev.berth.engine.content.Content;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.diff.Decompression;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.oci.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Makes a single-layer OCI image from a root file system, as {@code docker import} and
 * {@code podman import} do: a directory is written as a layer tar by {@link RootfsTar} (owners,
 * modes, times, symlinks, hardlinks, devices, xattrs kept); a tar file (plain, gzip or zstd) is
 * taken as the layer as it is, uncompressed. The layer is stored gzip-compressed, its diff_id
 * computed on the way; then the config (host platform unless told, the given Cmd, Entrypoint, Env,
 * WorkingDir, User, one history entry), the manifest with containerd's GC reference labels, and
 * last the image record (replacing one of the same name). With a {@link LeaseManager} the work in
 * progress holds a lease until the record is written. Thread-safe (no state between calls).
 */
public final class RootfsImporter {
    private static final int BUFFER = 1 << 16;

    private final ContentStore content;
    private final ImageStore images;
    private final LeaseManager leases;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    /** {@code leases} may be null (no lease held). */
    public RootfsImporter(ContentStore content, ImageStore images, LeaseManager leases, Clock clock) {
        this.content = content;
        this.images = images;
        this.leases = leases;
        this.clock = clock;
    }

    /**
     * Imports {@code source} (a directory or a tar file) as image {@code options.name()}.
     *
     * @throws BerthException INVALID_ARGUMENT without a name or when {@code source} is neither a
     *     directory nor a readable file; errors of the content store pass through
     */
    public Image importRootfs(Path source, RootfsImportOptions options) {
        if (options.name() == null || options.name().isBlank()) {
            throw BerthException.invalid("importing a root file system needs an image name (--name REF)");
        }
        if (!Files.isDirectory(source) && !Files.isRegularFile(source)) {
            throw BerthException.invalid("root file system %s is neither a directory nor a tar file", source);
        }
        try (LeaseManager.Held lease = leases == null ? null : leases.createTemporary("import", Duration.ofHours(24))) {
            Layer layer = writeLayer(source, lease);
            Platform pl = options.platform() == null ? Platforms.host() : options.platform();
            String created = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
            ImageConfig.Container defaults = new ImageConfig.Container(blankToNull(options.user()), null,
                    options.env(), options.entrypoint(), options.cmd(), null, blankToNull(options.workingDir()),
                    null, null);
            ImageConfig config = new ImageConfig(created, null, pl.architecture(), pl.os(), pl.variant(), defaults,
                    new ImageConfig.RootFs("layers", List.of(layer.diffId())),
                    List.of(new ImageConfig.History(created, "berth images import --rootfs", "imported from " + source
                            .getFileName(), null)));
            byte[] configBytes = OciJson.write(config);
            Descriptor cd = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
            hold(lease, cd.digest());
            Content.writeBytes(content, MediaTypes.OCI_CONFIG, configBytes, Map.of());
            Manifest m = new Manifest(2, MediaTypes.OCI_MANIFEST, null, cd, List.of(layer.descriptor()), null, null);
            byte[] manifestBytes = OciJson.write(m);
            Descriptor md = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256(manifestBytes), manifestBytes.length);
            hold(lease, md.digest());
            Content.writeBytes(content, MediaTypes.OCI_MANIFEST, manifestBytes,
                    Images.childGcLabels(md, List.of(cd, layer.descriptor())));
            return images.put(Image.of(options.name(), md));
        }
    }

    private record Layer(Descriptor descriptor, Digest diffId) {
    }

    private Layer writeLayer(Path source, LeaseManager.Held lease) {
        String ref = "import-rootfs-" + HexFormat.of().formatHex(bytes());
        if (lease != null) {
            lease.add(LeaseResource.ingest(ref));
        }
        MessageDigest diff = Digest.newSha256();
        ContentWriter w = Content.openWriter(content, ref, null, Duration.ofMinutes(1));
        try (w) {
            OutputStream sink = new CloseShieldOutputStream(w.asOutputStream());
            GZIPOutputStream gz = new GZIPOutputStream(sink, BUFFER);
            DigestOutputStream tar = new DigestOutputStream(gz, diff);
            if (Files.isDirectory(source)) {
                RootfsTar.write(source, tar);
            } else {
                try (InputStream in = Decompression.open(Files.newInputStream(source), "application/octet-stream")) {
                    in.transferTo(tar);
                }
            }
            tar.flush();
            gz.finish();
            Digest blob = w.digest();
            long size = w.offset();
            Descriptor d = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, blob, size);
            hold(lease, blob);
            try {
                w.commit(size, blob, Map.of());
            } catch (BerthException e) {
                if (e.category() != dev.berth.engine.errdefs.ErrorCategory.ALREADY_EXISTS) {
                    throw e;
                }
            }
            return new Layer(d, Digest.of("sha256", diff.digest()));
        } catch (IOException e) {
            throw BerthException.unavailable("importing root file system %s: %s", source, e.getMessage());
        }
    }

    private static void hold(LeaseManager.Held lease, Digest d) {
        if (lease != null) {
            lease.add(LeaseResource.content(d));
        }
    }

    private byte[] bytes() {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return b;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
