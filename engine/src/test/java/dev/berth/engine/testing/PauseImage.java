package dev.berth.engine.testing;

import dev.berth.engine.Engine;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.archive.RootfsImportOptions;
import dev.berth.engine.images.archive.RootfsImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Berth's pause image for tests: bin/pause/pause.c compiled statically (as bin/build-pause-image
 * does) and imported with entrypoint /pause. Needs gcc (bin/install-deps). Stateless.
 */
public final class PauseImage {
    private PauseImage() {
    }

    /** Compiles the pause into {@code work}/pause-rootfs and imports it into {@code engine} as {@code ref}. */
    public static Image importAs(Engine engine, String ref, Path work) throws Exception {
        Path rootfs = Files.createDirectories(work.resolve("pause-rootfs"));
        // tests run in a module directory; the source is in the checkout's bin/
        Path source = Path.of("..", "bin", "pause", "pause.c");
        Process gcc = new ProcessBuilder("gcc", "-static", "-Os", "-Wall", "-Wextra", "-Werror", "-o",
                rootfs.resolve("pause").toString(), source.toString()).redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes());
        if (gcc.waitFor() != 0) {
            throw new AssertionError("gcc failed on " + source + ": " + out);
        }
        return new RootfsImporter(engine.content(), engine.images(), engine.leases(), Clock.systemUTC())
                .importRootfs(rootfs, RootfsImportOptions.named(ref).withEntrypoint(List.of("/pause")));
    }
}
