package dev.berth.engine.gc;

import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** An engine on a temp root, and images stored the way a pull leaves them (GC labels included). */
final class GcFixture implements AutoCloseable {
    final Path tmp;
    final Engine engine;

    GcFixture() throws Exception {
        tmp = Files.createTempDirectory("berth-gc-");
        Config c = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString());
        engine = Engine.open(c);
    }

    /** A layer with one file whose content is {@code text}. */
    static LayerBuilder layer(String text) {
        LayerBuilder l = LayerBuilder.create();
        l.file("f-" + Integer.toHexString(text.hashCode()), text);
        return l;
    }

    static BuiltImage image(LayerBuilder... layers) {
        OciImageBuilder b = OciImageBuilder.create();
        for (LayerBuilder l : layers) {
            b.layer(l);
        }
        return b.cmd("/bin/true").build();
    }

    /** Stores {@code img}'s blobs with pull's GC labels and records it as {@code name}. */
    Image store(String name, BuiltImage img) {
        img.writeTo(engine.content());
        Images.walk(engine.content(), img.target(), dev.berth.engine.images.Platforms.all(), true, d -> {
            List<Descriptor> children = Images.children(engine.content(), d);
            if (!children.isEmpty()) {
                var labels = Images.childGcLabels(d, children);
                engine.content().update(d.digest(), labels, Set.of());
            }
        });
        return engine.images().create(Image.of(name, img.target()));
    }

    Set<String> blobs() {
        Set<String> out = new TreeSet<>();
        engine.content().walk(i -> true, i -> out.add(i.digest().toString()));
        return out;
    }

    static Set<String> digests(BuiltImage img) {
        Set<String> out = new TreeSet<>();
        for (Digest d : img.blobs().keySet()) {
            out.add(d.toString());
        }
        return out;
    }

    List<String> snapshots(String sn) {
        List<String> out = new ArrayList<>();
        engine.snapshotters().get(sn).walk(i -> out.add(i.name()));
        return out;
    }

    SnapshotInfo stat(String sn, String key) {
        return engine.snapshotters().get(sn).stat(key);
    }

    @Override
    public void close() {
        HostCleanup.under(tmp).then(engine::close).close();
    }
}
