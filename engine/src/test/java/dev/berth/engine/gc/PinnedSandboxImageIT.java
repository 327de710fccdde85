package dev.berth.engine.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.sandbox.PauseImages;
import dev.berth.engine.sandbox.SandboxSettings;
import dev.berth.engine.testing.BuiltImage;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The configured sandbox image on a real store: pulled only when absent, pinned, kept by the
 * collector even when its record carries an expiry, unpinned when the key moves to another image,
 * and an offline pull failure names the config key and the way to import.
 */
class PinnedSandboxImageIT {
    private GcFixture f;
    private final AtomicReference<Config> config = new AtomicReference<>();
    private PauseImages pause;

    @BeforeEach
    void open() throws Exception {
        f = new GcFixture();
        configure("registry.k8s.io/pause:3.10");
        pause = new PauseImages(config::get, f.engine.content(), f.engine.images());
    }

    @AfterEach
    void close() {
        f.close();
    }

    private void configure(String image) {
        config.set(Config.defaults().with(EngineSettings.ROOT, f.tmp.resolve("root").toString())
                .with(SandboxSettings.SANDBOX_IMAGE, image));
    }

    private static BuiltImage pauseImage(String marker) {
        return GcFixture.image(GcFixture.layer("pause " + marker));
    }

    @Test
    void presentImageIsPinnedWithoutAPull() {
        Image stored = f.store("registry.k8s.io/pause:3.10", pauseImage("a"));
        AtomicInteger pulls = new AtomicInteger();
        PauseImages.Present p = pause.ensure(Platforms.all(), r -> {
            pulls.incrementAndGet();
            throw new AssertionError("no pull expected");
        });
        assertEquals(0, pulls.get());
        assertEquals("registry.k8s.io/pause:3.10", p.name());
        assertEquals(stored.target().digest().toString(), p.digest());
        assertEquals(PauseImages.PINNED, f.engine.images().get(p.name()).labels().get(PauseImages.PINNED_LABEL));
    }

    @Test
    void absentImageIsPulledOnceThenPinned() {
        BuiltImage img = pauseImage("b");
        AtomicInteger pulls = new AtomicInteger();
        PauseImages.Pull pull = r -> {
            pulls.incrementAndGet();
            assertEquals("registry.k8s.io/pause:3.10", r.toString());
            return f.store(r.toString(), img);
        };
        pause.ensure(Platforms.all(), pull);
        pause.ensure(Platforms.all(), pull);
        assertEquals(1, pulls.get(), "IfNotPresent: the second sandbox finds the image");
        assertTrue(pause.isConfigured("registry.k8s.io/pause:3.10"));
    }

    @Test
    void offlinePullFailureNamesTheConfigKeyAndTheImport() {
        BerthException e = assertThrows(BerthException.class, () -> pause.ensure(Platforms.all(), r -> {
            throw BerthException.unavailable("dial tcp registry.k8s.io:443: network unreachable");
        }));
        assertEquals(ErrorCategory.UNAVAILABLE, e.category());
        assertTrue(e.getMessage().contains("pinned_images.sandbox") && e.getMessage().contains("sandbox_image")
                && e.getMessage().contains("bin/build-pause-image") && e.getMessage().contains("network unreachable"),
                e.getMessage());
    }

    @Test
    void changedKeyPinsTheNewImageAndUnpinsTheOld() {
        f.store("registry.k8s.io/pause:3.10", pauseImage("old"));
        f.store("localhost/berth/pause:1", pauseImage("new"));
        pause.ensure(Platforms.all(), r -> {
            throw new AssertionError("present");
        });
        configure("localhost/berth/pause:1");
        assertEquals("localhost/berth/pause:1", pause.ensure(Platforms.all(), r -> {
            throw new AssertionError("present");
        }).name());
        assertFalse(f.engine.images().get("registry.k8s.io/pause:3.10").labels().containsKey(PauseImages.PINNED_LABEL));
        assertFalse(pause.isConfigured("registry.k8s.io/pause:3.10"));
        assertEquals(PauseImages.PINNED,
                f.engine.images().get("localhost/berth/pause:1").labels().get(PauseImages.PINNED_LABEL));
    }

    @Test
    void collectorKeepsAPinnedImageWhoseExpiryHasPassed() {
        BuiltImage img = pauseImage("c");
        Image stored = f.store("registry.k8s.io/pause:3.10", img);
        Map<String, String> labels = new HashMap<>(stored.labels());
        labels.put(GcLabels.EXPIRE, "2000-01-01T00:00:00Z");
        f.engine.images().update(stored.withLabels(labels), Set.of("labels"));
        pause.ensure(Platforms.all(), r -> {
            throw new AssertionError("present");
        });
        f.engine.gc().collect(false);
        assertTrue(f.engine.images().find("registry.k8s.io/pause:3.10").isPresent());
        assertTrue(f.blobs().containsAll(GcFixture.digests(img)));

        // once another image is configured, the old record's expiry applies again
        f.store("localhost/berth/pause:2", pauseImage("d"));
        configure("localhost/berth/pause:2");
        pause.ensure(Platforms.all(), r -> {
            throw new AssertionError("present");
        });
        f.engine.gc().collect(false);
        assertTrue(f.engine.images().find("registry.k8s.io/pause:3.10").isEmpty());
        assertFalse(f.blobs().containsAll(GcFixture.digests(img)));
    }
}
