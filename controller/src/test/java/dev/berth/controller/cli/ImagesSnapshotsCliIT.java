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
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.LayerBuilder;
import dev.berth.engine.testing.OciImageBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code berth images unpack|mount|unmount} and {@code berth snapshots …} end to end, in-process engine. */
@RootOnly("needs root")
class ImagesSnapshotsCliIT {
    private Path tmp;
    private Path config;

    private Run berth(String... args) {
        return CliHarness.berth(config, args);
    }

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("berth-cli-");
        config = tmp.resolve("config.toml");
        Files.writeString(config, "version = 3\nroot = \"" + tmp.resolve("root") + "\"\nstate = \""
                + tmp.resolve("state") + "\"\n");
        Config c = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString());
        try (Engine e = Engine.open(c)) {
            LayerBuilder top = LayerBuilder.create();
            top.file("hello.txt", "hello from the top layer");
            BuiltImage img = OciImageBuilder.busybox().layer(top).build();
            img.writeTo(e.content());
            e.images().create(Image.of("test/cli:1", img.target()));
        }
    }

    @AfterEach
    void tearDown() {
        if (tmp != null) {
            HostCleanup.under(tmp).close();
        }
    }

    @Test
    void unpackListMountUnmountRemove() throws Exception {
        Run unpack = berth("images", "unpack", "test/cli:1");
        assertEquals(0, unpack.code(), unpack.err());
        assertTrue(unpack.out().contains("2 of 2 layers applied"), unpack.out());
        Run again = berth("images", "unpack", "test/cli:1");
        assertTrue(again.out().contains("0 of 2 layers applied"), again.out());

        Run ls = berth("snapshots", "ls");
        assertEquals(0, ls.code(), ls.err());
        assertEquals(3, ls.out().strip().split("\n").length, ls.out());
        assertTrue(ls.out().contains("committed"), ls.out());

        Path dir = Files.createDirectories(tmp.resolve("mnt"));
        Run mount = berth("images", "mount", "test/cli:1", dir.toString());
        assertEquals(0, mount.code(), mount.err());
        try {
            assertEquals("hello from the top layer", Files.readString(dir.resolve("hello.txt")));
            Run mounts = berth("snapshots", "mounts", "mount:" + dir, "/x");
            assertTrue(mounts.out().startsWith("mount -t overlay overlay /x -o lowerdir="), mounts.out());
            Run busy = berth("images", "mount", "test/cli:1", dir.toString());
            assertEquals(1, busy.code());
            assertTrue(busy.err().contains("already a mount point"), busy.err());
        } finally {
            Run un = berth("images", "unmount", dir.toString());
            assertEquals(0, un.code(), un.err());
        }
        assertFalse(MountTable.isMountPoint(dir));

        String[] lines = berth("snapshots", "ls").out().strip().split("\n");
        String bottom = lines[1].split("\\s+")[0];
        Run refused = berth("snapshots", "rm", bottom);
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("has children"), refused.err());
        String top = lines[2].split("\\s+")[0];
        assertEquals(0, berth("snapshots", "rm", top, bottom).code());
        assertEquals(1, berth("snapshots", "ls").out().strip().split("\n").length);

        Run nat = berth("images", "unpack", "--snapshotter", "native", "test/cli:1");
        assertEquals(0, nat.code(), nat.err());
        assertTrue(berth("snapshots", "--snapshotter", "native", "usage").out().contains("sha256:"));
    }
}
