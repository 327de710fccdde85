package dev.berth.engine.unpack;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.content.Content;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.oci.Manifest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.oci.Platform;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.testing.LayerTarBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** An engine on a temp root plus helpers to store images made of hand-built layer tars. */
final class UnpackFixture implements AutoCloseable {
    final Path tmp;
    final Engine engine;

    UnpackFixture() throws Exception {
        tmp = Files.createTempDirectory("berth-unpack-");
        Config c = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString());
        engine = Engine.open(c);
    }

    /** Stores an image whose layers are {@code layers} (gzip'd), with the given diff_ids or the true ones. */
    Image store(String name, List<LayerTarBuilder> layers, List<Digest> diffIdsOrNull) {
        List<Descriptor> descs = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        for (LayerTarBuilder l : layers) {
            byte[] blob = l.gzip();
            diffIds.add(Digest.sha256(l.tar()));
            descs.add(Content.writeBytes(engine.content(), MediaTypes.OCI_LAYER_GZIP, blob, Map.of()));
        }
        Platform host = Platforms.host();
        ImageConfig config = new ImageConfig("2020-01-01T00:00:00Z", null, host.architecture(), host.os(),
                host.variant(), null, new ImageConfig.RootFs("layers", diffIdsOrNull == null ? diffIds : diffIdsOrNull),
                null);
        Descriptor cd = Content.writeBytes(engine.content(), MediaTypes.OCI_CONFIG, OciJson.write(config), Map.of());
        Manifest m = new Manifest(2, MediaTypes.OCI_MANIFEST, null, cd, descs, null, null);
        Descriptor md = Content.writeBytes(engine.content(), MediaTypes.OCI_MANIFEST, OciJson.write(m), Map.of());
        return engine.images().create(Image.of(name, md));
    }

    List<Digest> chainIds(List<LayerTarBuilder> layers) {
        return Images.chainIds(layers.stream().map(l -> Digest.sha256(l.tar())).toList());
    }

    List<SnapshotInfo> snapshots(String snapshotter) {
        List<SnapshotInfo> out = new ArrayList<>();
        engine.snapshotters().get(snapshotter).walk(out::add);
        return out;
    }

    @Override
    public void close() {
        MountTable.cleanUnder(tmp);
        engine.close();
        FileTree.deleteRecursively(tmp);
    }
}
