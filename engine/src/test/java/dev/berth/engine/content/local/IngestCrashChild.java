package dev.berth.engine.content.local;

import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Random;

/**
 * Run in a child JVM by {@link LocalContentStoreIT}: writes the first {@code n} bytes of a blob into
 * an ingest, says "ready", and waits to be killed, so the test sees a real crash mid-write.
 */
public final class IngestCrashChild {
    private IngestCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int size = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        byte[] data = LocalContentStoreIT.blob(size);
        MetadataStore md = MetadataStore.open(root.resolve("meta.db"));
        LocalContentStore s = LocalContentStore.open(root.resolve("content"), md, Clock.systemUTC());
        ContentWriter w = s.writer("layer-crash", Descriptor.of("x", Digest.sha256(data), size));
        w.write(data, 0, n);
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(600_000);
        new Random().nextInt();
    }
}
