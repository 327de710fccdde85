package dev.berth.engine.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code docker-registry} (Debian package, distribution 2.x) on a free 127.0.0.1 port, with
 * its own temporary storage and generated config, optionally behind htpasswd basic auth or token auth
 * ({@link TokenServer}). {@link #start} waits until {@code /v2/} answers; {@link #close} stops the
 * process and deletes every file it made, also when start failed. Images get in with
 * {@link #push(Path, String, String)} (skopeo copy from an OCI layout). Not thread-safe to build;
 * the running registry may be used from many threads.
 */
public final class RegistryProcess implements AutoCloseable {
    public static final String BINARY = "/usr/bin/docker-registry";

    private final Path dir;
    private final Process process;
    private final int port;
    private final String user;
    private final String password;
    private final TokenServer tokens;
    private final Path log;
    private final boolean tls;
    private final Path clientCertDir;

    private RegistryProcess(Path dir, Process process, int port, String user, String password, TokenServer tokens,
                            Path log, boolean tls, Path clientCertDir) {
        this.tls = tls;
        this.clientCertDir = clientCertDir;
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.user = user;
        this.password = password;
        this.tokens = tokens;
        this.log = log;
    }

    /** An open registry (no auth). */
    public static RegistryProcess start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options for {@link RegistryProcess}. Not thread-safe. */
    public static final class Builder {
        private String user;
        private String password;
        private boolean token;
        private boolean anonymousToken;
        private boolean tls;
        private Path clientCa;
        private Path clientCertDir;

        /**
         * Serve HTTPS and require a client certificate issued by the PEM CA {@code caPem} (mutual TLS,
         * docker-registry's {@code http.tls.clientcas}). {@code certDir} holds the certificate this
         * harness itself uses for {@link #push} and the other skopeo calls, in Docker's {@code certs.d}
         * layout ({@code <name>.cert} with {@code <name>.key}).
         */
        public Builder clientCertificates(Path caPem, Path certDir) {
            tls = true;
            clientCa = caPem;
            clientCertDir = certDir;
            return this;
        }

        /** Serve HTTPS with a self-signed certificate for 127.0.0.1 ({@link #caCertificate()}). */
        public Builder tls() {
            tls = true;
            return this;
        }

        /** htpasswd basic auth with one user. */
        public Builder basicAuth(String u, String p) {
            user = u;
            password = p;
            token = false;
            return this;
        }

        /** Token auth through a {@link TokenServer}; {@code u} may be null for anonymous tokens only. */
        public Builder tokenAuth(String u, String p, boolean allowAnonymous) {
            user = u;
            password = p;
            token = true;
            anonymousToken = allowAnonymous;
            return this;
        }

        public RegistryProcess start() {
            Path dir = null;
            TokenServer ts = null;
            Process proc = null;
            try {
                dir = Files.createTempDirectory("berth-registry-");
                Files.createDirectories(dir.resolve("storage"));
                for (int attempt = 0; ; attempt++) {
                    int port = freePort();
                    StringBuilder cfg = new StringBuilder()
                            .append("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n")
                            .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("storage"))
                            .append("\n  delete:\n    enabled: true\n")
                            .append("http:\n  addr: 127.0.0.1:").append(port)
                            .append("\n  secret: ").append(UUID.randomUUID()).append('\n');
                    if (tls && !Files.exists(dir.resolve("tls.pem"))) {
                        selfSigned(dir);
                    }
                    if (tls) {
                        cfg.append("  tls:\n    certificate: ").append(dir.resolve("tls.pem"))
                                .append("\n    key: ").append(dir.resolve("tls.key")).append('\n');
                        if (clientCa != null) {
                            cfg.append("    clientcas:\n      - ").append(clientCa).append('\n');
                        }
                    }
                    if (token) {
                        if (ts == null) {
                            ts = new TokenServer(dir, user, password, anonymousToken);
                        }
                        cfg.append("auth:\n  token:\n    realm: ").append(ts.realm())
                                .append("\n    service: ").append(TokenServer.SERVICE)
                                .append("\n    issuer: ").append(TokenServer.ISSUER)
                                .append("\n    rootcertbundle: ").append(ts.certificate()).append('\n');
                    } else if (user != null) {
                        Path htpasswd = dir.resolve("htpasswd");
                        Files.writeString(htpasswd, Htpasswd.line(user, password) + "\n");
                        cfg.append("auth:\n  htpasswd:\n    realm: berth-test\n    path: ").append(htpasswd).append('\n');
                    }
                    Path config = dir.resolve("config.yml");
                    Files.writeString(config, cfg.toString());
                    Path log = dir.resolve("registry.log");
                    proc = new ProcessBuilder(BINARY, "serve", config.toString())
                            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                    RegistryProcess r = new RegistryProcess(dir, proc, port, user, password, ts, log, tls,
                            clientCertDir);
                    if (r.awaitReady()) {
                        return r;
                    }
                    proc.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    if (attempt >= 2) {
                        throw new IllegalStateException("docker-registry did not come up on 127.0.0.1:" + port + ": "
                                + Files.readString(log));
                    }
                }
            } catch (IOException | InterruptedException | RuntimeException e) {
                if (proc != null) {
                    proc.destroyForcibly();
                }
                if (ts != null) {
                    ts.close();
                }
                deleteTree(dir);
                if (e instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("cannot start docker-registry: " + e, e);
            }
        }
    }

    private boolean awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            if (tls) {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    return true;
                } catch (IOException e) {
                    Thread.sleep(50);
                    continue;
                }
            }
            try {
                HttpURLConnection c = (HttpURLConnection) url().resolve("/v2/").toURL().openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(2000);
                int st = c.getResponseCode();
                c.disconnect();
                if (st == 200 || st == 401) {
                    return true;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        return false;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** {@code 127.0.0.1:<port>}, the registry part of references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public URI url() {
        return URI.create((tls ? "https://" : "http://") + host());
    }

    /** The PEM certificate a TLS registry serves (its own CA), or null without TLS. */
    public Path caCertificate() {
        return tls ? dir.resolve("tls.pem") : null;
    }

    /** A self-signed certificate and PKCS#8 key for 127.0.0.1/localhost, made with keytool. */
    private static void selfSigned(Path dir) throws IOException, InterruptedException {
        Path ks = dir.resolve("tls.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "tls", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        try {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            try (java.io.InputStream in = Files.newInputStream(ks)) {
                store.load(in, "changeit".toCharArray());
            }
            java.util.Base64.Encoder b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
            Files.writeString(dir.resolve("tls.pem"), "-----BEGIN CERTIFICATE-----\n"
                    + b64.encodeToString(store.getCertificate("tls").getEncoded()) + "\n-----END CERTIFICATE-----\n");
            Files.writeString(dir.resolve("tls.key"), "-----BEGIN PRIVATE KEY-----\n"
                    + b64.encodeToString(store.getKey("tls", "changeit".toCharArray()).getEncoded())
                    + "\n-----END PRIVATE KEY-----\n");
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    public Path storage() {
        return dir.resolve("storage");
    }

    /** The token server when token auth is on, else null. */
    public TokenServer tokenServer() {
        return tokens;
    }

    /** The registry's own log (for failure messages). */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /**
     * Copies image {@code tag} of the OCI layout {@code layout} to {@code repoAndTag} (e.g.
     * {@code test/busybox:1}) in this registry with {@code skopeo copy}; {@code extra} are more skopeo
     * flags (e.g. {@code --all}, {@code --format v2s2}).
     */
    public void push(Path layout, String tag, String repoAndTag, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "copy", "--quiet", "--insecure-policy",
                "--dest-tls-verify=false"));
        if (user != null) {
            cmd.add("--dest-creds=" + user + ":" + password);
        }
        if (clientCertDir != null) {
            cmd.add("--dest-cert-dir=" + clientCertDir);
        }
        cmd.addAll(List.of(extra));
        cmd.add("oci:" + layout + ":" + tag);
        cmd.add("docker://" + host() + "/" + repoAndTag);
        Skopeo.run(cmd);
    }

    /**
     * Pushes {@code img} (all blobs, child manifests by digest, the root by {@code tag}) with plain
     * HTTP API calls, for content skopeo will not read from an OCI layout (Docker media types).
     * Only for registries without auth.
     */
    public void pushRaw(BuiltImage img, String repo, String tag) {
        try {
            for (java.util.Map.Entry<dev.berth.engine.oci.Digest, byte[]> e : img.blobs().entrySet()) {
                HttpURLConnection post = (HttpURLConnection) url().resolve("/v2/" + repo + "/blobs/uploads/").toURL()
                        .openConnection();
                post.setRequestMethod("POST");
                post.setDoOutput(true);
                post.getOutputStream().close();
                expect(post, 202);
                URI loc = url().resolve("/v2/" + repo + "/blobs/uploads/").resolve(post.getHeaderField("Location"));
                String sep = loc.getRawQuery() == null ? "?" : "&";
                put(URI.create(loc + sep + "digest=" + e.getKey()), "application/octet-stream", e.getValue());
            }
            for (BuiltImage child : img.children()) {
                put(url().resolve("/v2/" + repo + "/manifests/" + child.target().digest()),
                        child.target().mediaType(), img.blobs().get(child.target().digest()));
            }
            put(url().resolve("/v2/" + repo + "/manifests/" + tag), img.target().mediaType(),
                    img.blobs().get(img.target().digest()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void put(URI u, String type, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) u.toURL().openConnection();
        c.setRequestMethod("PUT");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", type);
        c.setFixedLengthStreamingMode(body.length);
        try (java.io.OutputStream o = c.getOutputStream()) {
            o.write(body);
        }
        expect(c, 201);
    }

    private static void expect(HttpURLConnection c, int status) throws IOException {
        int st = c.getResponseCode();
        if (st != status) {
            java.io.InputStream es = c.getErrorStream();
            String body = es == null ? "" : new String(es.readAllBytes(), StandardCharsets.UTF_8);
            throw new IllegalStateException(c.getRequestMethod() + " " + c.getURL() + " answered " + st + ": " + body);
        }
        c.getInputStream().close();
    }

    /** {@code skopeo inspect --raw} of a reference in this registry: the manifest bytes as served. */
    public byte[] inspectRaw(String repoAndRef) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "inspect", "--raw", "--tls-verify=false"));
        if (user != null) {
            cmd.add("--creds=" + user + ":" + password);
        }
        if (clientCertDir != null) {
            cmd.add("--cert-dir=" + clientCertDir);
        }
        cmd.add("docker://" + host() + "/" + repoAndRef);
        return Skopeo.run(cmd);
    }

    /** {@code skopeo copy} of a reference in this registry into the OCI layout {@code dest:tag}. */
    public void copyToLayout(String repoAndRef, Path dest, String tag) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "copy", "--quiet", "--insecure-policy",
                "--src-tls-verify=false"));
        if (user != null) {
            cmd.add("--src-creds=" + user + ":" + password);
        }
        if (clientCertDir != null) {
            cmd.add("--src-cert-dir=" + clientCertDir);
        }
        cmd.add("docker://" + host() + "/" + repoAndRef);
        cmd.add("oci:" + dest + ":" + tag);
        Skopeo.run(cmd);
    }

    @Override
    public void close() {
        try {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            if (tokens != null) {
                tokens.close();
            }
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs skopeo with an argument array; stderr goes into the exception. */
    static final class Skopeo {
        private Skopeo() {
        }

        static byte[] run(List<String> cmd) {
            try {
                Path err = Files.createTempFile("berth-skopeo-", ".err");
                try {
                    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
                    byte[] out = p.getInputStream().readAllBytes();
                    if (!p.waitFor(300, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        throw new IllegalStateException("timed out: " + cmd);
                    }
                    if (p.exitValue() != 0) {
                        throw new IllegalStateException(String.join(" ", cmd) + " failed with exit " + p.exitValue()
                                + ": " + Files.readString(err, StandardCharsets.UTF_8));
                    }
                    return out;
                } finally {
                    Files.deleteIfExists(err);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
