package dev.berth.controller.cli;

import dev.berth.controller.cli.CliHarness.Run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code berth pull} and {@code berth push} end to end against a real registry, in-process engine. */
class PullPushCliIT {
    Path tmp;
    Path config;

    static Run berth(String... args) {
        return CliHarness.berth(args);
    }

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("berth-cli-pull-");
        config = tmp.resolve("config.toml");
        Files.writeString(config, "version = 3\n[plugins.\"io.containerd.cri.v1.images\".registry]\n"
                + "  config_path = \"\"\n[plugins.\"dev.berth.v1\"]\n  auth_file = \"" + tmp.resolve("auth.json") + "\"\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        try (Stream<Path> s = Files.walk(tmp)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void pullThenPushElsewhereWithBasicAuth() throws Exception {
        BuiltImage img = OciImageBuilder.busybox().build();
        img.writeLayout(tmp.resolve("layout"), "src");
        try (RegistryProcess src = RegistryProcess.start();
             RegistryProcess dst = RegistryProcess.builder().basicAuth("cli", "secret").start()) {
            src.push(tmp.resolve("layout"), "src", "cli/busybox:1");
            String root = tmp.resolve("root").toString();
            Run pull = berth("--config", config.toString(), "pull", "--root", root, src.host() + "/cli/busybox:1");
            assertEquals(0, pull.code(), pull.err());
            assertTrue(pull.out().contains("layer-" + img.layers().get(0).digest() + ": done"), pull.out());
            assertTrue(pull.out().contains("pulled " + src.host() + "/cli/busybox:1 (" + img.target().digest() + ")"),
                    pull.out());

            Run denied = berth("--config", config.toString(), "push", "--root", root, dst.host() + "/copy/busybox:2",
                    src.host() + "/cli/busybox:1");
            assertEquals(1, denied.code());
            assertTrue(denied.err().contains("credentials"), denied.err());

            Run push = berth("--config", config.toString(), "push", "--root", root, "--user", "cli:secret",
                    dst.host() + "/copy/busybox:2", src.host() + "/cli/busybox:1");
            assertEquals(0, push.code(), push.err());
            assertTrue(push.out().contains("pushed " + dst.host() + "/copy/busybox:2"), push.out());
            assertEquals(new String(img.blobs().get(img.target().digest())), new String(dst.inspectRaw("copy/busybox:2")));

            Run quiet = berth("--config", config.toString(), "pull", "--root", root, "-q", src.host() + "/cli/busybox:1");
            assertEquals(0, quiet.code(), quiet.err());
            assertEquals(img.target().digest() + "\n", quiet.out());
        }
    }

    @Test
    void badReferenceAndMissingTag() throws Exception {
        try (RegistryProcess src = RegistryProcess.start()) {
            String root = tmp.resolve("root").toString();
            Run bad = berth("--config", config.toString(), "pull", "--root", root, "Bad/Name");
            assertEquals(1, bad.code());
            assertTrue(bad.err().contains("must be lower case"), bad.err());
            Run missing = berth("--config", config.toString(), "pull", "--root", root, src.host() + "/no/such:tag");
            assertEquals(1, missing.code());
            assertTrue(missing.err().contains("no/such:tag") && missing.err().contains("not found"), missing.err());
        }
    }

    @Test
    void pullWithUnpackRunsInTheDaemonThatOwnsTheRoot() throws Exception {
        BuiltImage img = OciImageBuilder.busybox().build();
        img.writeLayout(tmp.resolve("layout"), "src");
        Path sock = tmp.resolve("state/berth.sock");
        Files.writeString(config, Files.readString(config).replace("version = 3\n", "version = 3\nroot = \""
                + tmp.resolve("root") + "\"\nstate = \"" + tmp.resolve("state") + "\"\n")
                .replace("  auth_file =", "  api_address = \"" + sock + "\"\n  auth_file ="));
        dev.berth.engine.config.Config c = new dev.berth.engine.config.ConfigLoader(
                dev.berth.controller.ControllerSettings.schema()).load(config)
                .with(dev.berth.controller.ControllerSettings.MANIFEST_DIR, tmp.resolve("manifests").toString());
        try (RegistryProcess src = RegistryProcess.start();
             dev.berth.controller.Daemon d = dev.berth.controller.Daemon.start(c, java.time.Clock.systemUTC(),
                     daemon -> Forwarding.serve(daemon.api(), daemon.engine()))) {
            src.push(tmp.resolve("layout"), "src", "cli/busybox:1");
            Run pull = berth("--config", config.toString(), "pull", "--unpack", src.host() + "/cli/busybox:1");
            assertEquals(0, pull.code(), pull.err());
            assertTrue(pull.out().contains("pulled " + src.host() + "/cli/busybox:1 (" + img.target().digest() + ")"),
                    pull.out());
            assertTrue(pull.out().contains("unpacked " + src.host() + "/cli/busybox:1 into "), pull.out());
            // the daemon's engine has it: its store answers without reopening the root
            assertEquals(1, d.engine().images().list().size());
            Run snaps = berth("--config", config.toString(), "snapshots", "ls");
            assertEquals(0, snaps.code(), snaps.err());
            assertTrue(snaps.out().lines().count() > 1, snaps.out());
        } finally {
            dev.berth.engine.mount.MountTable.cleanUnder(tmp);
        }
    }
}
