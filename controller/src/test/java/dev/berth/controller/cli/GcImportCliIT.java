package dev.berth.controller.cli;

import dev.berth.engine.testing.HostCleanup;
import dev.berth.controller.cli.CliHarness.Run;
import dev.berth.engine.testing.RootOnly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.images.ResolvedImage;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.snapshots.LocalSnapshotter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/build-example-image} against a private root, then {@code berth images unpack} of its
 * image, {@code berth gc [--dry-run]} and {@code berth leases ls|rm}.
 */
@RootOnly("needs root")
class GcImportCliIT {
    private static final String NAME = "localhost/berth/busybox:latest";
    private Path tmp;
    private Path config;
    private Config engineConfig;

    private Run berth(String... args) {
        return CliHarness.berth(config, args);
    }

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("berth-gc-cli-");
        config = tmp.resolve("config.toml");
        Files.writeString(config, "version = 3\nroot = \"" + tmp.resolve("root") + "\"\nstate = \""
                + tmp.resolve("state") + "\"\n");
        engineConfig = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString());
    }

    @AfterEach
    void tearDown() {
        if (tmp != null) {
            HostCleanup.under(tmp).close();
        }
    }

    private void buildExampleImage() throws Exception {
        String output = BinScripts.run(tmp, "build-example-image", "--config", config.toString());
        assertTrue(output.contains("imported " + NAME + " sha256:"), output);
        try (var s = Files.list(tmp)) {
            assertEquals(List.of("config.toml", "root"), s.map(x -> x.getFileName().toString()).sorted().toList(),
                    "the script removed its temp rootfs");
        }
    }

    @Test
    void exampleImageImportsAndUnpacks() throws Exception {
        buildExampleImage();
        String chain;
        try (Engine e = Engine.open(engineConfig)) {
            Image img = e.images().get(NAME);
            ResolvedImage r = Images.resolve(e.content(), img.target(), Platforms.defaultMatcher());
            assertEquals(List.of("/bin/sh"), r.config().config().cmd());
            assertEquals(1, r.layers().size());
            chain = r.topChainId().toString();
        }
        Run unpack = berth("images", "unpack", NAME);
        assertEquals(0, unpack.code(), unpack.err());
        try (Engine e = Engine.open(engineConfig)) {
            Path fs = ((LocalSnapshotter) e.snapshotters().get("overlayfs")).fsDir(chain);
            assertTrue(Files.isRegularFile(fs.resolve("bin/busybox")));
            assertEquals(Path.of("busybox"), Files.readSymbolicLink(fs.resolve("bin/sh")));
            assertEquals(Path.of("busybox"), Files.readSymbolicLink(fs.resolve("bin/httpd")));
            assertEquals(01777, FileTree.lstat(fs.resolve("tmp")).mode() & 07777);
            assertEquals(0, FileTree.lstat(fs.resolve("bin/busybox")).uid());
            assertTrue(Files.readString(fs.resolve("var/www/index.html")).contains("Hello"));
            assertTrue(Files.readString(fs.resolve("etc/passwd")).contains("nobody:x:65534:65534:"));
        }
    }

    @Test
    void gcDryRunThenGcThenLeases() throws Exception {
        buildExampleImage();
        assertEquals(0, berth("images", "unpack", NAME).code());
        Run nothing = berth("gc");
        assertEquals(0, nothing.code(), nothing.err());
        assertTrue(nothing.out().contains("removed 0 objects"), nothing.out());

        assertEquals(0, berth("images", "rm", NAME).code());
        Run dry = berth("gc", "--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("would remove 4 objects"), dry.out());
        assertTrue(dry.out().contains("snapshot") && dry.out().contains("overlayfs/sha256:"), dry.out());
        assertFalse(berth("content", "ls", "-q").out().isBlank(), "a dry run removes nothing");

        Run gc = berth("gc");
        assertEquals(0, gc.code(), gc.err());
        assertTrue(gc.out().contains("removed 4 objects"), gc.out());
        assertTrue(berth("content", "ls", "-q").out().isBlank());

        try (Engine e = Engine.open(engineConfig)) {
            e.leases().create("held-by-hand", Map.of("purpose", "test"));
        }
        Run ls = berth("leases", "ls");
        assertEquals(0, ls.code(), ls.err());
        assertTrue(ls.out().contains("held-by-hand") && ls.out().contains("purpose=test"), ls.out());
        assertEquals(0, berth("leases", "rm", "held-by-hand").code());
        Run again = berth("leases", "rm", "held-by-hand");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("lease held-by-hand not found"), again.err());
        assertTrue(berth("leases", "ls", "-q").out().isBlank());
    }
}
