package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's garbage collection runs when its policy makes one due (the Quartz timer armed at
 * GcScheduler.nextRun, re-armed by store changes): at start after startup_delay, and after an
 * object is removed (deletion_threshold 0: any deletion), with no one-second poll behind it.
 */
class DaemonGcIT {
    @TempDir
    Path tmp;

    @Test
    void aRemovalMakesACollectionDueAndTheTimerRunsIt() throws Exception {
        Path manifests = Files.createDirectories(tmp.resolve("manifests"));
        Config c = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(ControllerSettings.API_ADDRESS, tmp.resolve("state/berth.sock").toString())
                .with(ControllerSettings.MANIFEST_DIR, manifests.toString());
        try (Daemon d = Daemon.start(c)) {
            Semaphore collected = new Semaphore(0);
            try (AutoCloseable l = d.engine().gc().onCollected(r -> collected.release())) {
                // the start-up collection (startup_delay 100 ms) may already be done; either way no more follow
                collected.tryAcquire(3, TimeUnit.SECONDS);
                collected.drainPermits();
                Thread.sleep(1500);
                assertTrue(collected.availablePermits() == 0, "nothing due, nothing collected");

                Path f = manifests.resolve("image.yaml");
                Files.writeString(f, "apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata:\n  name: gone\n"
                        + "spec:\n  ref: localhost/berth/none:latest\n  pullPolicy: Never\n");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (d.store().list(null).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(!d.store().list(null).isEmpty(), "the Image was applied from the manifest directory");
                collected.drainPermits();
                Files.delete(f);
                assertTrue(collected.tryAcquire(20, TimeUnit.SECONDS), "the removal made a collection due and it ran");
                assertTrue(d.store().list(null).isEmpty(), "the Image was removed");
            }
        }
    }
}
