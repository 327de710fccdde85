package dev.berth.engine.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.engine.content.Content;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.oci.Platform;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerTarBuilder;
import dev.berth.engine.testing.PrivateContainerd;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The same image of hand-built layers given to Berth (stored and unpacked into overlayfs) and to a
 * private containerd (imported from an OCI layout archive, which unpacks it), so a test can compare
 * what each accepted and the trees each made. Starts one containerd on first use and stops it in
 * {@link #close()}. Not thread-safe.
 */
final class BothUnpackers implements AutoCloseable {
    /** What each side did with one image: Berth's result or its error, containerd's error (null: unpacked). */
    record Outcome(Unpacker.Result berth, RuntimeException berthError, RuntimeException ctrdError) {
        boolean berthAccepted() {
            return berthError == null;
        }

        boolean ctrdAccepted() {
            return ctrdError == null;
        }

        /** The result of an unpack both sides must have accepted. */
        Unpacker.Result bothAccepted() {
            if (berthError != null) {
                throw berthError;
            }
            if (ctrdError != null) {
                throw ctrdError;
            }
            return berth;
        }
    }

    /** Something to check on the image mounted by Berth and by containerd. */
    interface BothMounted {
        void check(Path berthMnt, Path ctrdMnt) throws Exception;
    }

    final UnpackFixture f;
    private PrivateContainerd ctrd;

    BothUnpackers(UnpackFixture f) {
        this.f = f;
    }

    PrivateContainerd containerd() {
        if (ctrd == null) {
            ctrd = PrivateContainerd.start(f.tmp);
        }
        return ctrd;
    }

    /**
     * Stores an image of {@code layers} as {@code repo:1} in both (layers gzip, plain and zstd in
     * turn) and unpacks it; failures are returned, not thrown.
     */
    Outcome store(String repo, List<LayerTarBuilder> layers) throws Exception {
        Map<Digest, byte[]> blobs = new LinkedHashMap<>();
        List<Descriptor> descs = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        String[] types = {MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER, MediaTypes.OCI_LAYER_ZSTD};
        for (int i = 0; i < layers.size(); i++) {
            byte[] blob = switch (i % 3) {
                case 0 -> layers.get(i).gzip();
                case 1 -> layers.get(i).tar();
                default -> layers.get(i).zstd();
            };
            diffIds.add(Digest.sha256(layers.get(i).tar()));
            Descriptor d = Descriptor.of(types[i % 3], Digest.sha256(blob), blob.length);
            blobs.put(d.digest(), blob);
            descs.add(d);
        }
        Platform host = Platforms.host();
        byte[] config = OciJson.write(new ImageConfig("2020-01-01T00:00:00Z", null, host.architecture(), host.os(),
                host.variant(), null, new ImageConfig.RootFs("layers", diffIds), null));
        Descriptor cd = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(config), config.length);
        blobs.put(cd.digest(), config);
        byte[] manifest = OciJson.write(new Manifest(2, MediaTypes.OCI_MANIFEST, null, cd, descs, null, null));
        Descriptor md = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256(manifest), manifest.length);
        blobs.put(md.digest(), manifest);

        for (Map.Entry<Digest, byte[]> b : blobs.entrySet()) {
            Content.writeBytes(f.engine.content(), "application/octet-stream", b.getValue(), Map.of());
        }
        f.engine.images().create(Image.of(repo + ":1", md));
        Unpacker.Result r = null;
        RuntimeException berthError = null;
        try {
            r = f.engine.unpacker().unpack(repo + ":1", "overlayfs", Platforms.defaultMatcher());
        } catch (RuntimeException e) {
            berthError = e;
        }

        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        files.put("index.json", OciJson.write(Map.of("schemaVersion", 2, "manifests",
                List.of(md.withAnnotations(Map.of("org.opencontainers.image.ref.name", "1"))))));
        blobs.forEach((d, b) -> files.put("blobs/sha256/" + d.hex(), b));
        Path archive = f.tmp.resolve(repo.replace('/', '_') + ".tar");
        BuiltImage.writeTar(archive, files);
        RuntimeException ctrdError = null;
        try {
            containerd().ctr("images", "import", "--base-name", repo, "--snapshotter", "overlayfs", archive.toString());
        } catch (RuntimeException e) {
            ctrdError = e;
        }
        return new Outcome(r, berthError, ctrdError);
    }

    /** Mounts {@code ref} (overlayfs) through Berth and through containerd, runs {@code check}, unmounts both. */
    void withBothMounted(String ref, BothMounted check) throws Exception {
        String dir = ref.replaceAll("[^A-Za-z0-9]", "_");
        Path berthMnt = Files.createDirectories(f.tmp.resolve("berth-mnt-" + dir));
        Path ctrdMnt = Files.createDirectories(f.tmp.resolve("ctrd-mnt-" + dir));
        ImageMounter mounter = f.engine.imageMounter();
        mounter.mount(ref, berthMnt, "overlayfs", Platforms.defaultMatcher(), false);
        try {
            containerd().ctr("images", "mount", "--snapshotter", "overlayfs", ref, ctrdMnt.toString());
            try {
                check.check(berthMnt, ctrdMnt);
            } finally {
                containerd().ctr("images", "unmount", ctrdMnt.toString());
            }
        } finally {
            mounter.unmount(berthMnt, "overlayfs");
        }
    }

    /** Names as find(1) prints them (raw bytes, read as Latin-1 so every byte is one char) with type, mode, owner, size, link. */
    static List<String> rawListing(Path dir) throws Exception {
        Process p = new ProcessBuilder("find", dir.toString(), "-mindepth", "1", "-printf", "%P|%y|%m|%U:%G|%s|%l|%n\\0")
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), new String(out, StandardCharsets.ISO_8859_1));
        return Arrays.stream(new String(out, StandardCharsets.ISO_8859_1).split("\0"))
                .filter(x -> !x.isEmpty()).sorted().toList();
    }

    @Override
    public void close() {
        if (ctrd != null) {
            ctrd.close();
        }
    }
}
