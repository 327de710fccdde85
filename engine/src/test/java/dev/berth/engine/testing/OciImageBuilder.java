package dev.berth.engine.testing;

import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Index;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.oci.Platform;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds small OCI (or Docker schema 2) images in memory for tests: layers from
 * {@link LayerBuilder}, a config with the right {@code diff_ids}, a manifest, and with
 * {@link #index} an index over several platforms. The result ({@link BuiltImage}) writes itself
 * into a content store, an OCI layout directory or tar. Deterministic: the same calls give the same
 * digests. Not thread-safe.
 *
 * <pre>{@code
 * BuiltImage img = OciImageBuilder.busybox().cmd("sh", "-c", "echo hi").build();
 * img.writeTo(engine.content());
 * }</pre>
 */
public final class OciImageBuilder {
    /** Which media types the image uses. */
    public enum Format { OCI, DOCKER }

    private Format format = Format.OCI;
    private Platform platform = Platform.of("linux", hostArch(), null);
    private final List<LayerBuilder> layers = new ArrayList<>();
    private List<String> env = List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    private List<String> cmd;
    private List<String> entrypoint;
    private String workingDir;
    private String user;
    private Map<String, String> labels = Map.of();
    private Map<String, String> annotations = Map.of();
    private ImageConfig.Healthcheck healthcheck;

    public static OciImageBuilder create() {
        return new OciImageBuilder();
    }

    /**
     * A busybox image from the host's {@code /bin/busybox} (Debian {@code busybox-static}): the binary
     * at {@code /bin/busybox}, symlinks for common applets in {@code /bin}, {@code /etc/passwd},
     * {@code /etc/group}, {@code /tmp} (1777) and the usual empty mount points. Cmd {@code sh}.
     */
    public static OciImageBuilder busybox() {
        byte[] bin;
        try {
            bin = Files.readAllBytes(Path.of("/bin/busybox"));
        } catch (IOException e) {
            throw new UncheckedIOException("busybox image needs /bin/busybox (apt-get install busybox-static)", e);
        }
        LayerBuilder l = LayerBuilder.create();
        for (String d : List.of("bin", "etc", "proc", "sys", "dev", "var", "usr", "usr/bin")) {
            l.dir(d);
        }
        l.dir("tmp").mode(01777);
        l.dir("root").mode(0700);
        l.file("bin/busybox", bin, 0755);
        for (String a : List.of("sh", "ls", "cat", "echo", "sleep", "true", "false", "env", "id", "ps", "mkdir",
                "rm", "cp", "mv", "touch", "stat", "wc", "head", "tail", "grep", "sed", "hostname", "mount",
                "kill", "date", "chmod", "chown", "ln", "readlink", "uname", "whoami", "test", "[", "wget",
                "nc", "ip", "ifconfig", "top", "vi", "printf", "find", "xargs", "sync", "du", "df", "md5sum",
                "sha256sum", "seq", "yes", "tee", "dd", "pwd", "tr", "cut", "sort", "uniq", "awk")) {
            l.symlink("bin/" + a, "busybox");
        }
        l.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        l.file("etc/group", "root:x:0:\nnogroup:x:65534:\n");
        return create().layer(l).cmd("sh");
    }

    public OciImageBuilder format(Format f) {
        this.format = f;
        return this;
    }

    /** The platform in the config and (in an index) the manifest's descriptor; default linux/host arch. */
    public OciImageBuilder platform(String os, String arch, String variant) {
        this.platform = Platform.of(os, arch, variant);
        return this;
    }

    public OciImageBuilder layer(LayerBuilder l) {
        layers.add(l);
        return this;
    }

    public OciImageBuilder env(String... e) {
        this.env = List.of(e);
        return this;
    }

    public OciImageBuilder cmd(String... c) {
        this.cmd = List.of(c);
        return this;
    }

    public OciImageBuilder entrypoint(String... e) {
        this.entrypoint = List.of(e);
        return this;
    }

    public OciImageBuilder workingDir(String w) {
        this.workingDir = w;
        return this;
    }

    public OciImageBuilder user(String u) {
        this.user = u;
        return this;
    }

    public OciImageBuilder labels(Map<String, String> l) {
        this.labels = Map.copyOf(l);
        return this;
    }

    public OciImageBuilder annotations(Map<String, String> a) {
        this.annotations = Map.copyOf(a);
        return this;
    }

    /** Docker's HEALTHCHECK in the config (durations in nanoseconds, as docker writes them). */
    public OciImageBuilder healthcheck(ImageConfig.Healthcheck h) {
        this.healthcheck = h;
        return this;
    }

    /** Builds the single-platform image: layers, config, manifest. */
    public BuiltImage build() {
        boolean oci = format == Format.OCI;
        Map<Digest, byte[]> blobs = new LinkedHashMap<>();
        List<Descriptor> layerDescs = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        for (LayerBuilder l : layers) {
            byte[] tar = l.tar();
            byte[] blob = LayerBuilder.compress(tar, l.compression());
            diffIds.add(Digest.sha256(tar));
            Digest d = Digest.sha256(blob);
            blobs.put(d, blob);
            layerDescs.add(Descriptor.of(layerType(l.compression(), oci), d, blob.length));
        }
        ImageConfig config = new ImageConfig("2020-01-01T00:00:00Z", null, platform.architecture(), platform.os(),
                platform.variant(),
                new ImageConfig.Container(user, null, env, entrypoint, cmd, null, workingDir,
                        labels.isEmpty() ? null : labels, null, healthcheck),
                new ImageConfig.RootFs("layers", diffIds), null);
        byte[] configBytes = OciJson.write(config);
        Descriptor configDesc = Descriptor.of(oci ? MediaTypes.OCI_CONFIG : MediaTypes.DOCKER_CONFIG,
                Digest.sha256(configBytes), configBytes.length);
        blobs.put(configDesc.digest(), configBytes);
        Manifest manifest = new Manifest(2, oci ? MediaTypes.OCI_MANIFEST : MediaTypes.DOCKER_MANIFEST, null,
                configDesc, layerDescs, null, annotations.isEmpty() ? null : annotations);
        byte[] manifestBytes = OciJson.write(manifest);
        Digest md = Digest.sha256(manifestBytes);
        blobs.put(md, manifestBytes);
        Descriptor target = Descriptor.of(manifest.mediaType(), md, manifestBytes.length);
        return new BuiltImage(target, blobs, manifest, config, diffIds, List.of());
    }

    /**
     * An index (OCI) or manifest list (Docker) over {@code images}, each entry carrying its image's
     * config platform.
     */
    public static BuiltImage index(Format format, BuiltImage... images) {
        Map<Digest, byte[]> blobs = new LinkedHashMap<>();
        List<Descriptor> entries = new ArrayList<>();
        for (BuiltImage i : images) {
            blobs.putAll(i.blobs());
            ImageConfig c = i.config();
            entries.add(i.target().withPlatform(Platform.of(c.os(), c.architecture(), c.variant())));
        }
        Index index = new Index(2, format == Format.OCI ? MediaTypes.OCI_INDEX : MediaTypes.DOCKER_MANIFEST_LIST,
                entries, null);
        byte[] bytes = OciJson.write(index);
        Digest d = Digest.sha256(bytes);
        blobs.put(d, bytes);
        return new BuiltImage(Descriptor.of(index.mediaType(), d, bytes.length), blobs, null, null, null,
                List.of(images));
    }

    private static String layerType(LayerBuilder.Compression c, boolean oci) {
        return switch (c) {
            case NONE -> oci ? MediaTypes.OCI_LAYER : MediaTypes.DOCKER_LAYER;
            case GZIP -> oci ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.DOCKER_LAYER_GZIP;
            case ZSTD -> oci ? MediaTypes.OCI_LAYER_ZSTD : MediaTypes.DOCKER_LAYER_ZSTD;
        };
    }

    private static String hostArch() {
        String a = System.getProperty("os.arch", "amd64");
        return switch (a) {
            case "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> a;
        };
    }
}
