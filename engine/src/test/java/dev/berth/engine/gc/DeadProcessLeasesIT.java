package dev.berth.engine.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.leases.Lease;
import dev.berth.engine.oci.Digest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A process owning the root is SIGKILLed while a temporary (pull) lease holds a blob; the next owner
 * releases that lease at start, so garbage collection frees the blob at once instead of 24 h later.
 */
class DeadProcessLeasesIT {
    @Test
    void leasesOfAKilledOwnerAreReleasedAtStartAndGcFreesWhatTheyHeld() throws Exception {
        Path tmp = Files.createTempDirectory("berth-deadlease-");
        Path root = tmp.resolve("root");
        Path state = tmp.resolve("state");
        Process child = null;
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    LeaseHolderMain.class.getName(), root.toString(), state.toString()).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            Digest blob = null;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("held ")) {
                    blob = Digest.parse(line.substring(5).trim());
                    break;
                }
            }
            assertTrue(blob != null, "the child never held its lease");
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

            try (Engine engine = Engine.open(Config.defaults().with(EngineSettings.ROOT, root.toString())
                    .with(EngineSettings.STATE, state.toString()))) {
                List<Lease> left = engine.leases().list();
                assertEquals(List.of(), left.stream().filter(l -> l.labels().containsKey(Lease.TEMPORARY_LABEL)).toList(),
                        "the dead process's temporary leases are released at start");
                assertTrue(engine.content().exists(blob), "nothing is deleted before a collection");
                engine.gc().collect(false);
                assertFalse(engine.content().exists(blob), "gc frees what only the dead lease held");
            }
        } finally {
            if (child != null) {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            FileTree.deleteRecursively(tmp);
        }
    }
}
