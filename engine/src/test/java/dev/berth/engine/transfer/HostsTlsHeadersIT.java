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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** hosts.toml TLS settings ({@code ca}, {@code skip_verify}) against an HTTPS registry, and {@code [header]}. */
class HostsTlsHeadersIT {
    static RegistryProcess registry;
    static Path work;
    static BuiltImage image;

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("berth-tls-it-");
        registry = RegistryProcess.builder().tls().start();
        image = OciImageBuilder.create().layer(RegistryPullIT.randomLayer(61, 2, 2000)).build();
        image.writeLayout(work.resolve("layout"), "src");
        registry.push(work.resolve("layout"), "src", "tls/app:1");
    }

    @AfterAll
    static void tearDown() {
        if (registry != null) {
            registry.close();
        }
        PullFixture.deleteTree(work);
    }

    private HostsConfig hosts(String name, String toml) throws Exception {
        Path dir = work.resolve(name).resolve(registry.host());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("hosts.toml"), toml);
        if (registry.caCertificate() != null) {
            Files.copy(registry.caCertificate(), dir.resolve("registry-ca.pem"));
        }
        return new HostsConfig(work.resolve(name).toString(), false);
    }

    private Reference ref() {
        return Reference.parse(registry.host() + "/tls/app:1");
    }

    @Test
    void untrustedCertificateIsRefused() throws Exception {
        HostsConfig h = hosts("untrusted", "server = \"https://" + registry.host() + "\"\n");
        try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(h))) {
            BerthException e = assertThrows(BerthException.class, () -> f.puller.pull(ref(), PullOptions.defaults()));
            assertEquals(ErrorCategory.UNAVAILABLE, e.category());
            assertTrue(e.getMessage().contains("https://" + registry.host()) && e.getMessage().contains("SSL"),
                    e.getMessage());
        }
    }

    @Test
    void caFileRelativeToHostsToml() throws Exception {
        HostsConfig h = hosts("ca", "server = \"https://" + registry.host() + "\"\nca = \"registry-ca.pem\"\n");
        try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(h))) {
            f.puller.pull(ref(), PullOptions.defaults());
            f.assertHas(image);
        }
    }

    @Test
    void skipVerify() throws Exception {
        HostsConfig h = hosts("skip", "server = \"https://" + registry.host() + "\"\nskip_verify = true\n");
        try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(h))) {
            f.puller.pull(ref(), PullOptions.defaults());
            f.assertHas(image);
        }
    }

    @Test
    void configuredHeadersAreSentOnEveryRequest() throws Exception {
        try (FaultyRegistry server = new FaultyRegistry()) {
            server.add(image, "1");
            Path dir = work.resolve("headers").resolve(server.host());
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("hosts.toml"), "server = \"http://" + server.host() + "\"\n[header]\n"
                    + "  x-berth-test = \"yes\"\n  x-multi = [\"a\", \"b\"]\n");
            HostsConfig h = new HostsConfig(work.resolve("headers").toString(), false);
            try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(h))) {
                f.puller.pull(Reference.parse(server.host() + "/hdr/app:1"), PullOptions.defaults());
                f.assertHas(image);
            }
            List<FaultyRegistry.Request> rs = server.requests();
            assertTrue(rs.size() >= 4, rs.toString());
            for (FaultyRegistry.Request r : rs) {
                assertEquals(List.of("yes"), r.header("x-berth-test"), r.toString());
                assertEquals(List.of("a", "b"), r.header("x-multi"), r.toString());
            }
        }
    }
}
