package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.oci.Digest;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Kills a pulling process (SIGKILL) while a layer is half downloaded, then pulls again in another
 * process: the second pull resumes from the kept ingest with a Range request and ends verified.
 */
class KillMidPullIT {
    @Test
    void killedPullResumesFromTheIngest() throws Exception {
        BuiltImage image = OciImageBuilder.create().layer(RegistryPullIT.randomLayer(41, 8, 250_000)).build();
        Digest layer = image.layers().get(0).digest();
        Path root = PullFixture.tempRoot();
        Process child = null;
        try (FaultyRegistry server = new FaultyRegistry()) {
            server.add(image, "1");
            server.fault(layer, FaultyRegistry.Fault.STALL_ALWAYS);
            String ref = server.host() + "/kill/app:1";
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), PullMain.class.getName(),
                    root.toString(), ref).redirectErrorStream(true).redirectOutput(root.resolve("child.log").toFile())
                    .start();
            long partial = awaitPartialIngest(root, child);
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

            server.fault(layer, null);
            try (PullFixture f = new PullFixture(root, PullFixture.fastOptions())) {
                assertEquals(partial, f.content.status("layer-" + layer).offset(), "the ingest survived the kill");
                f.puller.pull(Reference.parse(ref), PullOptions.defaults());
                f.assertHas(image);
                f.assertConsistent();
            }
            List<FaultyRegistry.Request> rs = server.requestsFor(layer);
            assertEquals("bytes=" + partial + "-", rs.get(rs.size() - 1).range(), rs.toString());
        } finally {
            if (child != null) {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            if (Files.exists(root)) {
                PullFixture.deleteTree(root);
            }
        }
    }

    /** Waits until the child has written part of a layer ingest; returns its size. */
    private static long awaitPartialIngest(Path root, Process child) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Path ingest = root.resolve("content/ingest");
        while (System.nanoTime() < deadline) {
            assertTrue(child.isAlive(), () -> "the pulling process ended early: " + log(root));
            if (Files.isDirectory(ingest)) {
                try (Stream<Path> s = Files.list(ingest)) {
                    for (Path d : s.toList()) {
                        Path data = d.resolve("data");
                        String r = Files.exists(d.resolve("ref")) ? Files.readString(d.resolve("ref")) : "";
                        if (r.startsWith("layer-") && Files.exists(data) && Files.size(data) > 0) {
                            Thread.sleep(500); // the stalled server sends half, then nothing
                            return Files.size(data);
                        }
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no partial layer ingest appeared: " + log(root));
    }

    private static String log(Path root) {
        try {
            return Files.readString(root.resolve("child.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }
}
