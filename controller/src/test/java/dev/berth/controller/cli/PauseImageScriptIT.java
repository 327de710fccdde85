package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.fs.FileTree;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.sandbox.PauseImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/build-pause-image} against a private root: it compiles bin/pause/pause.c, imports the
 * result under the sandbox image the config names (version 2 and version 3 keys), does nothing with
 * {@code --if-absent} once the image is there, and the engine's pause image lookup then needs no pull.
 */
class PauseImageScriptIT {
    private Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        tmp = Files.createTempDirectory("berth-pause-cli-");
    }

    @AfterEach
    void tearDown() {
        if (tmp != null) {
            MountTable.cleanUnder(tmp);
            FileTree.deleteRecursively(tmp);
        }
    }

    private String script(Path config, String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("--config", config.toString()));
        all.addAll(List.of(args));
        return BinScripts.run(tmp, "build-pause-image", all.toArray(String[]::new));
    }

    private Path config(String name, String body) throws Exception {
        Path c = tmp.resolve(name);
        Files.writeString(c, body.replace("ROOT", tmp.resolve("root").toString())
                .replace("STATE", tmp.resolve("state").toString()));
        return c;
    }

    @Test
    void importsUnderTheConfiguredNameOnceForEitherLayout() throws Exception {
        Path v3 = config("v3.toml", """
                version = 3
                root = "ROOT"
                state = "STATE"
                [plugins."io.containerd.cri.v1.images".pinned_images]
                  sandbox = "localhost/site/pause:v3"
                """);
        String out = script(v3);
        assertTrue(out.contains("imported localhost/site/pause:v3"), out);
        assertEquals("", script(v3, "--if-absent"), "present: nothing to do");

        Path v2 = config("v2.toml", """
                version = 2
                root = "ROOT"
                state = "STATE"
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "localhost/site/pause:v2"
                """);
        assertTrue(script(v2, "--if-absent").contains("imported localhost/site/pause:v2"));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of("root", "v2.toml", "v3.toml"), s.map(x -> x.getFileName().toString()).sorted().toList(),
                    "the script removed its build directory");
        }

        Config c = new ConfigLoader(dev.berth.controller.ControllerSettings.schema()).load(v2);
        try (Engine engine = Engine.open(c)) {
            PauseImages.Present p = engine.pauseImages().ensure(Platforms.defaultMatcher(), r -> {
                throw new AssertionError("the imported image needs no pull");
            });
            assertEquals("localhost/site/pause:v2", p.name());
            assertEquals(List.of("/pause"), Images.readConfig(engine.content(), p.resolved().configDescriptor())
                    .config().entrypoint());
            assertFalse(engine.images().get("localhost/site/pause:v3").labels().containsKey(PauseImages.PINNED_LABEL));
            assertEquals(tmp.resolve("root").toString(), c.get(EngineSettings.ROOT));
        }
    }
}
