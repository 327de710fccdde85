package dev.berth.engine.remotes.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.hosts.RegistryHost;
import dev.berth.engine.remotes.hosts.RegistryHost.Capability;
import dev.berth.engine.remotes.hosts.RegistryHost.ClientCertificate;
import dev.berth.engine.testing.TestPki;
import dev.berth.engine.testing.TestPki.Issued;
import dev.berth.engine.testing.TestPki.KeyFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One HTTP client per TLS setting, rebuilt when a client certificate file is renewed. */
class RegistryTransportClientTest {
    @TempDir
    Path dir;

    private static RegistryHost host(Path pem) {
        return new RegistryHost(URI.create("https://mtls.example/v2"), Set.of(Capability.values()), false, List.of(),
                List.of(new ClientCertificate(pem, pem)), Map.of(), Duration.ofSeconds(5), false);
    }

    private void write(Path pem, Issued c, Instant mtime) throws Exception {
        Files.writeString(pem, TestPki.pem(c.certificate()) + TestPki.pem(c.key(KeyFormat.PKCS8)));
        Files.setLastModifiedTime(pem, FileTime.from(mtime));
    }

    @Test
    void renewedOrRepairedFilesGetANewClientUnchangedFilesTheSameOne() throws Exception {
        TestPki pki = TestPki.create("transport-test-ca");
        Path pem = dir.resolve("client.pem");
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        write(pem, pki.issueClient("first", "EC"), t0);
        try (RegistryTransport t = new RegistryTransport()) {
            HttpClient first = t.client(host(pem));
            assertSame(first, t.client(host(pem)));

            write(pem, pki.issueClient("renewed", "EC"), t0.plusSeconds(60));
            HttpClient renewed = t.client(host(pem));
            assertNotSame(first, renewed);
            assertSame(renewed, t.client(host(pem)));

            Files.delete(pem);
            BerthException e = assertThrows(BerthException.class, () -> t.client(host(pem)));
            assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
            write(pem, pki.issueClient("repaired", "EC"), t0.plusSeconds(120));
            assertNotSame(renewed, t.client(host(pem)));

            RegistryHost plain = new RegistryHost(URI.create("https://plain.example/v2"), Set.of(Capability.values()),
                    false, List.of(), List.of(), Map.of(), Duration.ofSeconds(5), false);
            assertSame(t.client(plain), t.client(plain));
        }
    }
}
