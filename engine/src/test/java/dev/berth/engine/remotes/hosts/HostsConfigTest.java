package dev.berth.engine.remotes.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.hosts.RegistryHost.Capability;
import dev.berth.engine.remotes.hosts.RegistryHost.ClientCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostsConfigTest {
    @TempDir
    Path root;

    private void write(String dir, String toml) throws Exception {
        Files.createDirectories(root.resolve(dir));
        Files.writeString(root.resolve(dir).resolve("hosts.toml"), toml);
    }

    @Test
    void defaultsWithoutFiles() {
        HostsConfig c = new HostsConfig(root.toString(), false);
        assertEquals("https://registry-1.docker.io/v2", c.hosts("docker.io").get(0).base().toString());
        assertEquals("https://ghcr.io/v2", c.hosts("ghcr.io").get(0).base().toString());
        RegistryHost local = c.hosts("localhost:5000").get(0);
        assertEquals("http://localhost:5000/v2", local.base().toString());
        assertEquals("http://127.0.0.1:5000/v2", c.hosts("127.0.0.1:5000").get(0).base().toString());
        assertEquals("https://localhost/v2", c.hosts("localhost").get(0).base().toString());
        assertTrue(c.hosts("localhost").get(0).skipVerify());
        assertEquals("http://ghcr.io/v2", new HostsConfig("", true).hosts("ghcr.io").get(0).base().toString());
        assertEquals(Set.of(Capability.values()), Set.copyOf(c.hosts("ghcr.io").get(0).capabilities()));
    }

    @Test
    void mirrorsInFileOrderThenServer() throws Exception {
        write("docker.io", """
                server = "https://registry-1.docker.io"

                [host."https://zz-mirror.example"]
                  capabilities = ["pull", "resolve"]
                  skip_verify = true
                  ca = "ca.pem"
                  [host."https://zz-mirror.example".header]
                    x-custom = "1"
                    x-multi = ["a", "b"]

                [host."http://aa-mirror.example:5000/prefix"]
                  capabilities = ["pull"]
                  dial_timeout = "2s"

                [host."https://raw.example/custom/path"]
                  override_path = true
                """);
        List<RegistryHost> hs = new HostsConfig(root.toString(), false).hosts("docker.io");
        assertEquals(4, hs.size());
        assertEquals("https://zz-mirror.example/v2", hs.get(0).base().toString());
        assertTrue(hs.get(0).mirror());
        assertTrue(hs.get(0).skipVerify());
        assertEquals(root.resolve("docker.io/ca.pem"), hs.get(0).caFiles().get(0));
        assertEquals(List.of("1"), hs.get(0).headers().get("x-custom"));
        assertEquals(List.of("a", "b"), hs.get(0).headers().get("x-multi"));
        assertFalse(hs.get(0).can(Capability.PUSH));
        assertEquals("http://aa-mirror.example:5000/prefix/v2", hs.get(1).base().toString());
        assertEquals(Duration.ofSeconds(2), hs.get(1).dialTimeout());
        assertEquals(Set.of(Capability.PULL), hs.get(1).capabilities());
        assertEquals("https://raw.example/custom/path", hs.get(2).base().toString());
        assertEquals("https://registry-1.docker.io/v2", hs.get(3).base().toString());
        assertFalse(hs.get(3).mirror());
    }

    @Test
    void lookupOrderPortDirThenDefaultAndFirstRootWins() throws Exception {
        Path other = Files.createDirectories(root.resolve("second"));
        write("first/_default", "[host.\"http://default-mirror:1\"]\n");
        write("first/reg.example_5000_", "server = \"http://port-form:1\"\n");
        Files.createDirectories(other.resolve("reg.example:5000"));
        Files.writeString(other.resolve("reg.example:5000/hosts.toml"), "server = \"http://second:1\"\n");
        HostsConfig c = new HostsConfig(root.resolve("first") + ":" + other, false);
        assertEquals("http://port-form:1/v2", c.hosts("reg.example:5000").get(0).base().toString());
        List<RegistryHost> d = c.hosts("quay.io");
        assertEquals("http://default-mirror:1/v2", d.get(0).base().toString());
        assertEquals("https://quay.io/v2", d.get(1).base().toString(), "no server: the registry itself is last");
        HostsConfig onlySecond = new HostsConfig(other.toString(), false);
        assertEquals("http://second:1/v2", onlySecond.hosts("reg.example:5000").get(0).base().toString());
    }

    @Test
    void topLevelSettingsApplyToTheServer() throws Exception {
        write("reg.example", """
                server = "http://reg.example"
                capabilities = ["pull", "resolve"]
                [header]
                  authorization-extra = "yes"
                """);
        RegistryHost h = new HostsConfig(root.toString(), false).hosts("reg.example").get(0);
        assertEquals(Set.of(Capability.PULL, Capability.RESOLVE), h.capabilities());
        assertEquals(List.of("yes"), h.headers().get("authorization-extra"));
    }

    @Test
    void badFilesGiveFileAndKey() throws Exception {
        write("bad.example", "[host.\"https://m\"]\ncapabilities = [\"pull\", \"fly\"]\n");
        BerthException e = assertThrows(BerthException.class,
                () -> new HostsConfig(root.toString(), false).hosts("bad.example"));
        assertTrue(e.getMessage().contains("hosts.toml") && e.getMessage().contains("fly"), e.getMessage());

        write("syntax.example", "server = \n");
        e = assertThrows(BerthException.class, () -> new HostsConfig(root.toString(), false).hosts("syntax.example"));
        assertTrue(e.getMessage().contains("hosts.toml:1"), e.getMessage());

        write("scheme.example", "server = \"ftp://x\"\n");
        e = assertThrows(BerthException.class, () -> new HostsConfig(root.toString(), false).hosts("scheme.example"));
        assertTrue(e.getMessage().contains("http"), e.getMessage());
    }

    @Test
    void clientAsOneFileOrPairsRelativeToTheFile() throws Exception {
        write("mtls.example", """
                server = "https://mtls.example"
                client = "client.pem"

                [host."https://one.example"]
                  client = [["certs/a.cert", "certs/a.key"], ["/etc/abs/b.pem", ""], "c.pem"]

                [host."https://none.example"]
                  client = []
                """);
        Path d = root.resolve("mtls.example");
        List<RegistryHost> hs = new HostsConfig(root.toString(), false).hosts("mtls.example");
        assertEquals(List.of(new ClientCertificate(d.resolve("certs/a.cert"), d.resolve("certs/a.key")),
                new ClientCertificate(Path.of("/etc/abs/b.pem"), Path.of("/etc/abs/b.pem")),
                new ClientCertificate(d.resolve("c.pem"), d.resolve("c.pem"))), hs.get(0).clients());
        assertEquals(List.of(), hs.get(1).clients());
        assertEquals(List.of(new ClientCertificate(d.resolve("client.pem"), d.resolve("client.pem"))),
                hs.get(2).clients());
    }

    @Test
    void topLevelClientAppliesToTheRegistryWithoutServer() throws Exception {
        write("reg.example:5000", "client = [[\"c.cert\", \"c.key\"]]\n");
        RegistryHost h = new HostsConfig(root.toString(), false).hosts("reg.example:5000").get(0);
        assertEquals("https://reg.example:5000/v2", h.base().toString());
        Path d = root.resolve("reg.example:5000");
        assertEquals(List.of(new ClientCertificate(d.resolve("c.cert"), d.resolve("c.key"))), h.clients());
        assertEquals(List.of(), new HostsConfig(root.toString(), false).hosts("other.example").get(0).clients());
    }

    @Test
    void badClientValuesNameFileSectionAndForm() throws Exception {
        String[][] cases = {
                {"client = 5", "server.client", "it is 5"},
                {"client = \"\"", "server.client", "it is an empty string"},
                {"client = [[\"a.cert\"]]", "server.client", "item 1 is [\"a.cert\"]"},
                {"client = [\"ok.pem\", [\"a\", \"b\", \"c\"]]", "server.client", "item 2 is [\"a\", \"b\", \"c\"]"},
                {"client = [[\"a.cert\", 1]]", "server.client", "item 1 is [\"a.cert\", 1]"},
                {"client = [[\"\", \"a.key\"]]", "server.client", "item 1 is [\"\", \"a.key\"]"},
                {"[host.\"https://m.example\"]\nclient = { cert = \"a\" }", "host.\"https://m.example\".client",
                        "it is a table"},
        };
        int n = 0;
        for (String[] c : cases) {
            String domain = "bad" + n++ + ".example";
            write(domain, c[0] + "\n");
            BerthException e = assertThrows(BerthException.class,
                    () -> new HostsConfig(root.toString(), false).hosts(domain), c[0]);
            assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
            String m = e.getMessage();
            assertTrue(m.contains(root.resolve(domain).resolve("hosts.toml") + ": " + c[1] + " must be a PEM file")
                    && m.contains("[[\"client.cert\", \"client.key\"]]") && m.endsWith(c[2]), c[0] + " -> " + m);
        }
    }
}
