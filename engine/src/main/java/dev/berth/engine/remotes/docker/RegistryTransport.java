package dev.berth.engine.remotes.docker;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.remotes.TrustAll;
import dev.berth.engine.remotes.hosts.RegistryHost;
import dev.berth.engine.remotes.hosts.RegistryHost.ClientCertificate;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The HTTP layer under the registry client: one {@link HttpClient} per TLS setting (default trust,
 * extra CAs, or no verification; client certificates) and connect timeout, rebuilt when one of its
 * CA or client files changes; plain http as HTTP/1.1, and redirects followed by hand (up to 10) so
 * that an {@code Authorization} header never travels to another host such as a blob storage
 * backend. Thread-safe.
 */
final class RegistryTransport implements AutoCloseable {
    static {
        // the JDK client reads bodies in 16 KiB buffers by default; blobs stream far faster (fewer
        // wake-ups and copies) with larger ones. Only takes effect if no JDK HttpClient ran before.
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", Integer.toString(256 * 1024));
        }
    }

    private record ClientKey(boolean skipVerify, List<Path> cas, List<ClientCertificate> certificates,
                             Duration connectTimeout, boolean plain) {
    }

    /** A client and the state of the CA and client files it was built from. */
    private record Built(List<Object> files, HttpClient client) {
    }

    private final Map<ClientKey, Built> clients = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "berth-registry-http");
        t.setDaemon(true);
        return t;
    });

    HttpClient client(RegistryHost host) {
        return client(new ClientKey(host.skipVerify(), host.caFiles(), host.clients(), host.dialTimeout(),
                host.plainHttp()));
    }

    /** A client with default TLS for token servers. */
    HttpClient defaultClient() {
        return client(new ClientKey(false, List.of(), List.of(), Duration.ofSeconds(30), false));
    }

    /**
     * The client for {@code key}, built anew when a CA or client file changed since (a renewed
     * certificate at the same path applies to the next request; requests under way keep theirs).
     */
    private HttpClient client(ClientKey key) {
        List<Object> files = fileState(key);
        Built known = clients.get(key);
        if (known != null && known.files().equals(files)) {
            return known.client();
        }
        return clients.compute(key, (k, old) -> old != null && old.files().equals(files) ? old
                : new Built(files, build(k))).client();
    }

    /** Modification time, size and identity of every CA and client file of {@code k}. */
    private static List<Object> fileState(ClientKey k) {
        if (k.cas().isEmpty() && k.certificates().isEmpty()) {
            return List.of();
        }
        List<Path> paths = new ArrayList<>(k.cas());
        for (ClientCertificate c : k.certificates()) {
            paths.add(c.certificate());
            paths.add(c.key());
        }
        List<Object> out = new ArrayList<>();
        for (Path p : paths) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                out.add(a.lastModifiedTime());
                out.add(a.size());
                out.add(a.fileKey());
            } catch (IOException e) {
                // building the client reports the unreadable file
                out.add(e.getClass().getName());
            }
        }
        return out;
    }

    private HttpClient build(ClientKey k) {
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(k.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .version(k.plain() ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2);
        if (k.skipVerify() || !k.cas().isEmpty() || !k.certificates().isEmpty()) {
            b.sslContext(sslContext(k));
        }
        return b.build();
    }

    /**
     * Sends {@code request} and follows redirects; a redirect to another authority drops the
     * Authorization header.
     */
    <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        HttpRequest current = request;
        for (int hop = 0; ; hop++) {
            HttpResponse<T> r = client.send(current, handler);
            int st = r.statusCode();
            if (st != 301 && st != 302 && st != 303 && st != 307 && st != 308) {
                return r;
            }
            String loc = r.headers().firstValue("Location").orElse(null);
            if (loc == null || hop >= 10) {
                return r;
            }
            discard(r);
            URI next = current.uri().resolve(loc);
            HttpRequest.Builder b = HttpRequest.newBuilder(next);
            current.timeout().ifPresent(b::timeout);
            boolean sameHost = next.getRawAuthority() != null
                    && next.getRawAuthority().equals(current.uri().getRawAuthority());
            current.headers().map().forEach((name, values) -> {
                if (sameHost || !name.equalsIgnoreCase("Authorization")) {
                    values.forEach(v -> b.header(name, v));
                }
            });
            String method = current.method();
            if (st == 303 || ((st == 301 || st == 302) && method.equals("POST"))) {
                b.GET();
            } else if (current.bodyPublisher().isPresent() && !method.equals("GET") && !method.equals("HEAD")) {
                b.method(method, current.bodyPublisher().get());
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            current = b.build();
        }
    }

    private static void discard(HttpResponse<?> r) {
        if (r.body() instanceof InputStream in) {
            try {
                in.close();
            } catch (IOException ignored) {
                // the connection is dropped anyway
            }
        }
    }

    private static SSLContext sslContext(ClientKey k) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            TrustManager tm;
            if (k.skipVerify()) {
                tm = new TrustAll();
            } else {
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                TrustManagerFactory sys = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                sys.init((KeyStore) null);
                int i = 0;
                for (TrustManager t : sys.getTrustManagers()) {
                    if (t instanceof X509TrustManager x) {
                        for (X509Certificate c : x.getAcceptedIssuers()) {
                            ks.setCertificateEntry("sys-" + i++, c);
                        }
                    }
                }
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                for (Path ca : k.cas()) {
                    try (InputStream in = Files.newInputStream(ca)) {
                        for (Certificate c : cf.generateCertificates(in)) {
                            ks.setCertificateEntry("ca-" + i++, c);
                        }
                    } catch (IOException | CertificateException e) {
                        throw BerthException.invalid("cannot read CA file %s named in hosts.toml: %s", ca, e.getMessage());
                    }
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                tm = tmf.getTrustManagers()[0];
            }
            KeyManager[] km = k.certificates().isEmpty() ? null : ClientKeys.keyManagers(k.certificates());
            ctx.init(km, new TrustManager[] {tm}, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw BerthException.internal("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
