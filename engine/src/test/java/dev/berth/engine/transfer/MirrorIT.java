package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.hosts.HostsConfig;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** hosts.toml mirrors against real registries: a mirror that is down, one that works, capabilities. */
class MirrorIT {
    static RegistryProcess upstream;
    static RegistryProcess mirror;
    static Path work;
    static BuiltImage image;
    static int downPort;

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("berth-mirror-it-");
        upstream = RegistryProcess.start();
        mirror = RegistryProcess.start();
        image = OciImageBuilder.create().layer(RegistryPullIT.randomLayer(21, 2, 4000)).build();
        image.writeLayout(work.resolve("layout"), "src");
        upstream.push(work.resolve("layout"), "src", "lib/app:1");
        mirror.push(work.resolve("layout"), "src", "lib/app:1");
        try (ServerSocket s = new ServerSocket(0)) {
            downPort = s.getLocalPort();
        }
    }

    @AfterAll
    static void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
        if (mirror != null) {
            mirror.close();
        }
        PullFixture.deleteTree(work);
    }

    private Path hostsDir(String name, String namespace, String toml) throws Exception {
        Path root = work.resolve(name);
        Files.createDirectories(root.resolve(namespace));
        Files.writeString(root.resolve(namespace).resolve("hosts.toml"), toml);
        return root;
    }

    @Test
    void downMirrorFallsBackToUpstream() throws Exception {
        Path dir = hostsDir("down", upstream.host(), "server = \"http://" + upstream.host() + "\"\n\n"
                + "[host.\"http://127.0.0.1:" + downPort + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
        try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(new HostsConfig(dir.toString(), false)))) {
            f.puller.pull(Reference.parse(upstream.host() + "/lib/app:1"), PullOptions.defaults());
            f.assertHas(image);
            f.assertConsistent();
        }
    }

    @Test
    void workingMirrorServesAnUnreachableRegistry() throws Exception {
        // the namespace's own server is down; the mirror (via _default) has the image
        Path dir = hostsDir("working", "_default", "server = \"http://127.0.0.1:" + downPort + "\"\n\n"
                + "[host.\"http://" + mirror.host() + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
        try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(new HostsConfig(dir.toString(), false)))) {
            f.puller.pull(Reference.parse("registry.invalid.example/lib/app:1"), PullOptions.defaults());
            f.assertHas(image);
            assertEquals("lib/app", f.content.info(image.target().digest()).labels()
                    .get("containerd.io/distribution.source.registry.invalid.example"));
        }
    }

    @Test
    void pullOnlyMirrorIsNotAskedToResolveTags() throws Exception {
        Path dir = hostsDir("pullonly", "_default", "server = \"http://127.0.0.1:" + downPort + "\"\n\n"
                + "[host.\"http://" + mirror.host() + "\"]\n  capabilities = [\"pull\"]\n");
        try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(new HostsConfig(dir.toString(), false)))) {
            BerthException e = assertThrows(BerthException.class, () -> f.puller.pull(
                    Reference.parse("registry.invalid.example/lib/app:1"), PullOptions.defaults()));
            assertEquals(ErrorCategory.UNAVAILABLE, e.category(), e.getMessage());
            assertTrue(e.getMessage().contains("127.0.0.1:" + downPort), e.getMessage());
            // by digest, pull capability is enough
            f.puller.pull(Reference.parse("registry.invalid.example/lib/app@" + image.target().digest()),
                    PullOptions.defaults());
            f.assertHas(image);
        }
    }
}
