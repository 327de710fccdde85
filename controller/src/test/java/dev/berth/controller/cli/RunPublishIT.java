package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.cli.CliHarness.Run;
import dev.berth.engine.Engine;
import dev.berth.engine.runtime.BusyboxRootfs;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.PauseImage;
import dev.berth.engine.testing.RootOnly;
import dev.berth.engine.testing.TestNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code berth run -p}: the container gets a sandbox of its own on the CNI network (Debian's real
 * plugins on a bridge and subnet of the test's own) and answers on the host port from 127.0.0.1;
 * {@code containers rm} removes the sandbox with it; a bad {@code -p} is refused with the format.
 */
@RootOnly("runs runc, CNI plugins and network namespaces")
class RunPublishIT {
    Path dir;
    Path config;
    Path rootfs;
    String parent;
    TestNetwork net;
    HostCleanup cleanup;
    final String id = "pub-" + UUID.randomUUID().toString().substring(0, 6);

    Run berth(String... args) {
        return CliHarness.berth(config, args);
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("berth-pub-");
        parent = "/berth-pub-it-" + UUID.randomUUID().toString().substring(0, 8);
        cleanup = HostCleanup.under(dir).cgroup(parent);
        net = TestNetwork.create(dir.resolve("net"), cleanup);
        cleanup.then(() -> berth("containers", "rm", "-f", id));
        rootfs = BusyboxRootfs.create(dir.resolve("rootfs"));
        config = dir.resolve("config.toml");
        Files.writeString(config, """
                version = 3
                root = "%s"
                state = "%s"
                [plugins."dev.berth.v1"]
                log_dir = "%s"
                cgroup_parent = "%s"
                [plugins."io.containerd.cri.v1.images".pinned_images]
                sandbox = "localhost/berth-test/pause:pub"
                [plugins."io.containerd.cri.v1.runtime".cni]
                conf_dir = "%s"
                """.formatted(dir.resolve("root"), dir.resolve("state"), dir.resolve("logs"), parent, net.confDir()));
        GlobalOptions options = new GlobalOptions();
        options.config = config;
        try (Engine e = Engine.open(options.load())) {
            PauseImage.importAs(e, "localhost/berth-test/pause:pub", dir);
        }
    }

    @AfterEach
    void tearDown() {
        cleanup.close();
    }

    @Test
    void aPublishedPortAnswersAndGoesWithTheContainer() throws Exception {
        int port = TestNetwork.freeTcpPort();
        Run run = berth("run", "-d", "-p", "127.0.0.1:" + port + ":8080", "--rootfs", rootfs.toString(), id, "sh", "-c",
                "mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 8080 -h /www");
        assertEquals(0, run.code(), run.err());
        assertEquals("published\n", TestNetwork.httpGet("http://127.0.0.1:" + port + "/"));
        assertEquals(1, net.reservations().size());

        assertEquals(0, berth("containers", "rm", "-f", id).code());
        assertEquals(List.of(), net.reservations());
        assertEquals(List.of(), TestNetwork.iptablesLinesWith("run_" + id));
        assertFalse(Files.exists(dir.resolve("state/netns/default_run_" + id)));
    }

    @Test
    void aBadPublishValueIsRefusedWithTheFormat() {
        Run run = berth("run", "-d", "-p", "80", "--rootfs", rootfs.toString(), id, "true");
        assertEquals(1, run.code());
        assertTrue(run.err().contains("[HOSTIP:]HOSTPORT:CONTAINERPORT"), run.err());
    }
}
