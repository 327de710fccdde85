package dev.berth.engine.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A small Docker token server on 127.0.0.1 for registries configured with {@code auth.token}: it
 * signs RS256 JWTs with a self-signed key made by {@code keytool} (the certificate is the registry's
 * {@code rootcertbundle}) and grants the requested scope to anonymous callers or to the one user it
 * knows, over GET (with basic auth) and POST (password grant). Records each request. Thread-safe.
 */
public final class TokenServer implements AutoCloseable {
    public static final String SERVICE = "berth-test-registry";
    public static final String ISSUER = "berth-test-issuer";

    /** One token request as received. */
    public record Request(String method, String user, String scope) {
    }

    private final HttpServer server;
    private final PrivateKey key;
    private final X509Certificate cert;
    private final Path certFile;
    private final String user;
    private final String password;
    private final boolean anonymous;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    /**
     * @param dir       where the key material is written
     * @param user      the one known user, or null
     * @param password  its password
     * @param anonymous whether callers without credentials get tokens
     */
    public TokenServer(Path dir, String user, String password, boolean anonymous) throws IOException {
        this.user = user;
        this.password = password;
        this.anonymous = anonymous;
        Path ks = dir.resolve("token.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "token", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=berth-test-token", "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + out);
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(ks)) {
                store.load(in, "changeit".toCharArray());
            }
            key = (PrivateKey) store.getKey("token", "changeit".toCharArray());
            cert = (X509Certificate) store.getCertificate("token");
            certFile = dir.resolve("token.pem");
            Files.writeString(certFile, "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", this::handle);
        server.start();
    }

    public URI realm() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    public Path certificate() {
        return certFile;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, List<String>> params = new HashMap<>();
            parse(ex.getRequestURI().getRawQuery(), params);
            if (ex.getRequestMethod().equals("POST")) {
                parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), params);
            }
            String who = null;
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth != null && auth.startsWith("Basic ")) {
                String[] up = new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8)
                        .split(":", 2);
                who = check(up[0], up.length > 1 ? up[1] : "") ? up[0] : "";
            } else if (params.containsKey("username")) {
                String u = first(params, "username");
                who = check(u, first(params, "password")) ? u : "";
            }
            List<String> scopes = params.getOrDefault("scope", List.of());
            requests.add(new Request(ex.getRequestMethod(), who, String.join(" ", scopes)));
            if ("".equals(who) || (who == null && !anonymous)) {
                send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}");
                return;
            }
            String token = jwt(who == null ? "" : who, scopes);
            send(ex, 200, "{\"token\":\"" + token + "\",\"expires_in\":300,\"issued_at\":\"" + Instant.now() + "\"}");
        } catch (Exception e) {
            send(ex, 500, "{\"error\":\"" + e + "\"}");
        }
    }

    private boolean check(String u, String p) {
        return user != null && user.equals(u) && password.equals(p);
    }

    private static String first(Map<String, List<String>> m, String k) {
        List<String> v = m.get(k);
        return v == null || v.isEmpty() ? "" : v.get(0);
    }

    private static void parse(String q, Map<String, List<String>> into) {
        if (q == null || q.isEmpty()) {
            return;
        }
        for (String kv : q.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            if (k.equals("scope")) {
                for (String s : v.split(" ")) {
                    into.computeIfAbsent(k, x -> new ArrayList<>()).add(s);
                }
            } else {
                into.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            }
        }
    }

    private String jwt(String subject, List<String> scopes) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\""
                + Base64.getEncoder().encodeToString(cert.getEncoded()) + "\"]}";
        StringBuilder access = new StringBuilder("[");
        for (String s : scopes) {
            String[] parts = s.split(":");
            if (parts.length < 3) {
                continue;
            }
            String name = String.join(":", java.util.Arrays.copyOfRange(parts, 1, parts.length - 1));
            StringBuilder actions = new StringBuilder();
            for (String a : parts[parts.length - 1].split(",")) {
                actions.append(actions.length() == 0 ? "" : ",").append('"').append(a).append('"');
            }
            access.append(access.length() == 1 ? "" : ",").append("{\"type\":\"").append(parts[0])
                    .append("\",\"name\":\"").append(name).append("\",\"actions\":[").append(actions).append("]}");
        }
        access.append(']');
        long now = Instant.now().getEpochSecond();
        String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + subject + "\",\"aud\":\"" + SERVICE
                + "\",\"exp\":" + (now + 300) + ",\"nbf\":" + (now - 60) + ",\"iat\":" + now + ",\"jti\":\""
                + UUID.randomUUID() + "\",\"access\":" + access + "}";
        String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + b64.encodeToString(sig.sign());
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        in.transferTo(o);
        return o.toByteArray();
    }
}
