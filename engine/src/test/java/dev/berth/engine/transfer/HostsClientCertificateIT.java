package dev.berth.engine.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.hosts.HostsConfig;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RegistryProcess;
import dev.berth.engine.testing.TestPki;
import dev.berth.engine.testing.TestPki.Issued;
import dev.berth.engine.testing.TestPki.KeyFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * hosts.toml {@code client} (mutual TLS) against a real docker-registry that requires a client
 * certificate issued by its CA ({@code http.tls.clientcas}).
 */
class HostsClientCertificateIT {
    /** Guards against a hang only; a refused handshake fails within seconds. */
    private static final Duration NO_HANG = Duration.ofMinutes(2);

    static RegistryProcess registry;
    static Path work;
    static TestPki pki;
    static BuiltImage image;

    @BeforeAll
    static void setUp() throws Exception {
        work = Files.createTempDirectory("berth-mtls-it-");
        pki = TestPki.create("berth-it-client-ca");
        Path caPem = pki.ca().writeCertificate(work.resolve("pki/ca.pem"));
        Issued harness = pki.issueClient("berth-it-harness", "EC");
        Path certDir = work.resolve("pki/skopeo");
        harness.writeCertificate(certDir.resolve("client.cert"));
        harness.writeKey(certDir.resolve("client.key"), KeyFormat.PKCS8);
        registry = RegistryProcess.builder().clientCertificates(caPem, certDir).start();
        image = OciImageBuilder.create().layer(RegistryPullIT.randomLayer(67, 2, 2000)).build();
        image.writeLayout(work.resolve("layout"), "src");
        registry.push(work.resolve("layout"), "src", "mtls/app:1");
    }

    @AfterAll
    static void tearDown() {
        if (registry != null) {
            registry.close();
        }
        PullFixture.deleteTree(work);
    }

    /** A config root with {@code hosts.toml} for the registry, next to a copy of its server CA. */
    private Path hostsDir(String name, String toml) throws IOException {
        Path dir = work.resolve(name).resolve(registry.host());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("hosts.toml"), "server = \"https://" + registry.host() + "\"\n"
                + "ca = \"registry-ca.pem\"\n" + toml);
        Files.copy(registry.caCertificate(), dir.resolve("registry-ca.pem"));
        return dir;
    }

    private HostsConfig hosts(String name) {
        return new HostsConfig(work.resolve(name).toString(), false);
    }

    private static Reference ref() {
        return Reference.parse(registry.host() + "/mtls/app:1");
    }

    private void pulls(String name) {
        assertTimeoutPreemptively(NO_HANG, () -> {
            try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(hosts(name)))) {
                f.puller.pull(ref(), PullOptions.defaults());
                f.assertHas(image);
            }
        });
    }

    private BerthException fails(String name) {
        return assertTimeoutPreemptively(NO_HANG, () -> {
            try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(hosts(name)))) {
                return assertThrows(BerthException.class, () -> f.puller.pull(ref(), PullOptions.defaults()));
            }
        });
    }

    @Test
    void certificateAndKeyPairRelativeToHostsToml() throws Exception {
        Path dir = hostsDir("pair", "client = [[\"certs/client.cert\", \"certs/client.key\"]]\n");
        Issued c = pki.issueClient("berth-it-pair", "EC");
        c.writeCertificate(dir.resolve("certs/client.cert"));
        c.writeKey(dir.resolve("certs/client.key"), KeyFormat.PKCS8);
        pulls("pair");
    }

    @Test
    void oneFileWithCertificateAndPkcs1RsaKey() throws Exception {
        Path dir = hostsDir("onefile", "client = \"client.pem\"\n");
        Issued c = pki.issueClient("berth-it-rsa", "RSA");
        Files.writeString(dir.resolve("client.pem"),
                TestPki.pem(c.certificate()) + TestPki.pem(c.key(KeyFormat.TRADITIONAL)));
        pulls("onefile");
    }

    @Test
    void opensslMadeEcKeyWithParametersBlock() throws Exception {
        Path dir = hostsDir("openssl", "client = [[\"client.cert\", \"client.key\"]]\n");
        Path caKey = pki.ca().writeKey(work.resolve("openssl-ca.key"), KeyFormat.PKCS8);
        Path caCert = work.resolve("pki/ca.pem");
        Path key = dir.resolve("client.key");
        Path csr = dir.resolve("client.csr");
        Path ext = dir.resolve("client.ext");
        Files.writeString(ext, "extendedKeyUsage = clientAuth\n");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", key.toString());
        assertTrue(Files.readString(key).contains("-----BEGIN EC PARAMETERS-----"), Files.readString(key));
        openssl("req", "-new", "-key", key.toString(), "-subj", "/CN=berth-it-openssl", "-out", csr.toString());
        openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-set_serial", "4242", "-days", "2", "-extfile", ext.toString(), "-out",
                dir.resolve("client.cert").toString());
        pulls("openssl");
    }

    @Test
    void withoutClientCertificateTheHandshakeFailsClearly() throws Exception {
        hostsDir("none", "");
        BerthException e = fails("none");
        assertEquals(ErrorCategory.UNAVAILABLE, e.category(), e.getMessage());
        String m = e.getMessage();
        assertTrue(m.contains("https://" + registry.host()), m);
        // with TLS 1.3 the server's refusal can arrive after the client has sent its request, so an
        // attempt may end as a timeout or a reset before one sees the alert; the alert, once seen,
        // ends the retries and says what to do
        assertTrue(m.contains("the registry requires a client certificate; name one with client in its hosts.toml"), m);
        assertTrue(m.trim().endsWith("hosts.toml))") || m.contains("failed after 1 attempt"),
                "no attempt after the refusal: " + m);
        assertTrue(m.toLowerCase(Locale.ROOT).contains("ssl") || m.toLowerCase(Locale.ROOT).contains("handshake"), m);
    }

    @Test
    void certificateFromAnotherCaIsNotAccepted() throws Exception {
        Path dir = hostsDir("stranger", "client = \"stranger.pem\"\n");
        Issued c = TestPki.create("some-other-ca").issueClient("stranger", "EC");
        Files.writeString(dir.resolve("stranger.pem"),
                TestPki.pem(c.certificate()) + TestPki.pem(c.key(KeyFormat.TRADITIONAL)));
        BerthException e = fails("stranger");
        assertEquals(ErrorCategory.UNAVAILABLE, e.category(), e.getMessage());
        assertTrue(e.getMessage().contains("the registry refused the client certificate from hosts.toml"),
                e.getMessage());
    }

    @Test
    void renewedCertificateAtTheSamePathIsUsedWithoutRestart() throws Exception {
        Path dir = hostsDir("renew", "client = \"client.pem\"\n");
        Issued stranger = TestPki.create("renew-other-ca").issueClient("renew-stranger", "EC");
        Files.writeString(dir.resolve("client.pem"), TestPki.pem(stranger.certificate())
                + TestPki.pem(stranger.key(KeyFormat.PKCS8)));
        assertTimeoutPreemptively(NO_HANG, () -> {
            try (PullFixture f = new PullFixture(PullFixture.fastOptions().hosts(hosts("renew")))) {
                BerthException e = assertThrows(BerthException.class,
                        () -> f.puller.pull(ref(), PullOptions.defaults()));
                assertTrue(e.getMessage().contains("refused the client certificate"), e.getMessage());
                Issued good = pki.issueClient("renew-good", "EC");
                Path next = dir.resolve("client.pem.new");
                Files.writeString(next, TestPki.pem(good.certificate()) + TestPki.pem(good.key(KeyFormat.PKCS8)));
                Files.move(next, dir.resolve("client.pem"), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
                f.puller.pull(ref(), PullOptions.defaults());
                f.assertHas(image);
            }
        });
    }

    @Test
    void badClientValueOrMissingFileIsInvalidArgumentNamingTheFile() throws Exception {
        Path dir = hostsDir("badvalue", "client = 42\n");
        BerthException e = fails("badvalue");
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("hosts.toml") + ": server.client must be a PEM file"),
                e.getMessage());

        Path missing = hostsDir("missing", "client = [[\"gone.cert\", \"gone.key\"]]\n").resolve("gone.cert");
        e = fails("missing");
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
