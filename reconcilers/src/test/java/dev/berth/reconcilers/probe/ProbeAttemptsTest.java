package dev.berth.reconcilers.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.berth.crd.container.Probe;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.testing.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP and TCP probe attempts against real servers on 127.0.0.1 (a dialer that connects from this
 * namespace stands in for the netns one, which ProbesIT covers), and HEALTHCHECK translation.
 */
class ProbeAttemptsTest {
    private static final ProbeDialer LOCAL = (pid, host, port, timeout) -> {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
        return s;
    };
    private final ProbeAttempts attempts = new ProbeAttempts(null, LOCAL);
    private final CountDownLatch release = new CountDownLatch(1);
    private HttpServer http;

    @BeforeEach
    void serve() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/ok", x -> reply(x, 200, "fine, " + x.getRequestHeaders().getFirst("X-Probe")
                + " " + x.getRequestHeaders().getFirst("User-Agent")));
        http.createContext("/moved", x -> {
            x.getResponseHeaders().add("Location", "/ok");
            reply(x, 302, "");
        });
        http.createContext("/broken", x -> reply(x, 503, "database down"));
        http.createContext("/slow", x -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(x, 200, "late");
        });
        http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        http.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        http.stop(0);
    }

    private static void reply(com.sun.net.httpserver.HttpExchange x, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            x.getResponseBody().write(b);
        }
        x.close();
    }

    private ProbeAttempts.Outcome get(String path, List<Probe.HttpHeader> headers, int port) {
        Probe p = new Probe(null, new Probe.HttpGetAction(path, port, null, null, headers), null, null, null, 1,
                null, null);
        return attempts.run(ProbePlan.of(ProbePlan.Kind.Readiness, p), "ns", "id", 1);
    }

    @Test
    void httpStatusDecidesAndHeadersAreSent() {
        int port = http.getAddress().getPort();
        ProbeAttempts.Outcome ok = get("/ok", List.of(new Probe.HttpHeader("X-Probe", "berth")), port);
        assertTrue(ok.success(), ok.message());
        assertEquals("HTTP 200: fine, berth kube-probe/berth", ok.message());
        assertTrue(get("/moved", null, port).success(), "3xx counts as success");
        ProbeAttempts.Outcome bad = get("/broken", null, port);
        assertFalse(bad.success());
        assertEquals("HTTP probe failed with statuscode: 503: database down", bad.message());
        ProbeAttempts.Outcome slow = get("/slow", null, port);
        assertFalse(slow.success());
        assertEquals("httpGet http://:" + port + "/slow timed out after 1s", slow.message());
    }

    @Test
    void tcpConnectsOrSaysWhyNot() throws IOException {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ProbeAttempts.Outcome ok = attempts.run(ProbePlan.of(ProbePlan.Kind.Liveness, Probe.tcpSocket(s.getLocalPort())),
                    "ns", "id", 1);
            assertTrue(ok.success(), ok.message());
            free = s.getLocalPort();
        }
        ProbeAttempts.Outcome refused = attempts.run(ProbePlan.of(ProbePlan.Kind.Liveness, Probe.tcpSocket(free)),
                "ns", "id", 1);
        assertFalse(refused.success());
        assertEquals("tcpSocket :" + free + ": Connection refused", refused.message());
    }

    @Test
    void httpsDoesNotVerifyTheCertificate() throws Exception {
        TestPki.Issued cert = TestPki.create("probe").issueClient("localhost", "EC");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", cert.keys().getPrivate(), new char[0], new Certificate[] {cert.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(ctx));
        https.createContext("/", x -> reply(x, 204, ""));
        https.start();
        try {
            Probe p = new Probe(null, new Probe.HttpGetAction("/", https.getAddress().getPort(), null, Probe.Scheme.HTTPS,
                    null), null, null, null, 5, null, null);
            ProbeAttempts.Outcome o = attempts.run(ProbePlan.of(ProbePlan.Kind.Readiness, p), "ns", "id", 1);
            assertTrue(o.success(), o.message());
            assertEquals("HTTP 204", o.message());
        } finally {
            https.stop(0);
        }
    }

    @Test
    void healthcheckTranslation() {
        long s = 1_000_000_000L;
        ProbePlan shell = ProbePlan.fromHealthcheck(new ImageConfig.Healthcheck(List.of("CMD-SHELL", "curl -f localhost"),
                5 * s, 2 * s, 15 * s, 4)).orElseThrow();
        assertEquals(new ProbePlan.Exec(List.of("/bin/sh", "-c", "curl -f localhost")), shell.action());
        assertEquals(Duration.ofSeconds(5), shell.period());
        assertEquals(Duration.ofSeconds(2), shell.timeout());
        assertEquals(Duration.ofSeconds(15), shell.initialDelay());
        assertEquals(4, shell.failureThreshold());
        assertEquals(ProbePlan.IMAGE_SOURCE, shell.source());
        ProbePlan cmd = ProbePlan.fromHealthcheck(new ImageConfig.Healthcheck(List.of("CMD", "/check", "-q"),
                null, null, null, null)).orElseThrow();
        assertEquals(new ProbePlan.Exec(List.of("/check", "-q")), cmd.action());
        assertEquals(Duration.ofSeconds(30), cmd.period(), "docker's default interval");
        assertEquals(Duration.ofSeconds(30), cmd.timeout());
        assertEquals(3, cmd.failureThreshold());
        assertTrue(ProbePlan.fromHealthcheck(new ImageConfig.Healthcheck(List.of("NONE"), null, null, null, null)).isEmpty());
        assertTrue(ProbePlan.fromHealthcheck(null).isEmpty());
    }
}
