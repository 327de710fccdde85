package dev.berth.engine.remotes.auth;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Answers registry authentication challenges the way containerd's docker authorizer does. A 401's
 * {@code WWW-Authenticate} challenge is remembered per registry endpoint; later requests to that
 * endpoint carry credentials straight away. {@code Bearer}: a token is fetched from the challenge's
 * realm (POST with a password grant when credentials exist, falling back to GET with basic auth; an
 * anonymous GET otherwise) and cached per realm, service and scope until {@code expires_in} runs
 * out. {@code Basic}: the stored credentials are sent. Thread-safe.
 */
public final class Authorizer {
    /** Sends token requests; the registry transport supplies one with the right TLS settings. */
    @FunctionalInterface
    public interface TokenTransport {
        HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException;
    }

    /** Tokens without {@code expires_in} are kept this long (the distribution spec's default). */
    static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record Token(String value, Instant expires) {
    }

    private final Credentials credentials;
    private final Clock clock;
    private final TokenTransport transport;
    private final String userAgent;
    private final Map<String, Challenge> challenges = new ConcurrentHashMap<>();
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();

    public Authorizer(Credentials credentials, Clock clock, TokenTransport transport, String userAgent) {
        this.credentials = credentials;
        this.clock = clock;
        this.transport = transport;
        this.userAgent = userAgent;
    }

    /**
     * The {@code Authorization} header for a request to endpoint {@code host} needing {@code scope}
     * ({@code repository:<path>:pull}), or empty when the endpoint has not asked for any.
     */
    public Optional<String> authorization(String host, String scope) throws InterruptedException {
        Challenge c = challenges.get(host);
        if (c == null) {
            return Optional.empty();
        }
        if (c.scheme().equals("basic")) {
            Credentials.Secret s = credentials.lookup(host).orElse(null);
            if (s == null || s.username().isEmpty() || s.secret().isEmpty()) {
                throw new BerthException(ErrorCategory.PERMISSION_DENIED, "registry " + host
                        + " asks for basic auth and no credentials are configured for it (use --user or the auth_file)");
            }
            return Optional.of("Basic " + basic(s));
        }
        return Optional.of("Bearer " + token(host, c, scope));
    }

    /**
     * Records the challenges of a 401 from {@code host}. Returns false when nothing new can be tried
     * (no supported scheme), so the caller reports the 401.
     */
    public boolean challenged(String host, List<String> wwwAuthenticate) {
        List<Challenge> parsed = Challenge.parse(wwwAuthenticate);
        Challenge chosen = null;
        for (Challenge c : parsed) {
            if (c.scheme().equals("bearer")) {
                chosen = c;
                break;
            }
            if (c.scheme().equals("basic") && chosen == null) {
                chosen = c;
            }
        }
        if (chosen == null) {
            return false;
        }
        Challenge previous = challenges.put(host, chosen);
        if (previous != null && chosen.scheme().equals("bearer")) {
            // a second challenge means the cached token was not accepted (expired, revoked, wrong scope)
            String prefix = host + "\n";
            tokens.keySet().removeIf(k -> k.startsWith(prefix));
        }
        return true;
    }

    private String token(String host, Challenge c, String scope) throws InterruptedException {
        String realm = c.param("realm");
        if (realm == null || realm.isEmpty()) {
            throw new BerthException(ErrorCategory.PERMISSION_DENIED,
                    "registry " + host + " sent a Bearer challenge without a realm; cannot fetch a token");
        }
        String service = c.param("service") == null ? "" : c.param("service");
        String key = host + "\n" + realm + "\n" + service + "\n" + scope;
        Token t = tokens.get(key);
        Instant now = clock.instant();
        if (t != null && now.isBefore(t.expires())) {
            return t.value();
        }
        t = fetch(host, realm, service, scope, now);
        tokens.put(key, t);
        return t.value();
    }

    private Token fetch(String host, String realm, String service, String scope, Instant now)
            throws InterruptedException {
        Credentials.Secret s = credentials.lookup(host).orElse(null);
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new BerthException(ErrorCategory.PERMISSION_DENIED,
                    "registry " + host + " names token realm \"" + realm + "\", which is not a URL");
        }
        try {
            HttpResponse<byte[]> r;
            if (s != null) {
                String form = "grant_type=" + (s.identityToken() ? "refresh_token&refresh_token=" + enc(s.secret())
                        : "password&username=" + enc(s.username()) + "&password=" + enc(s.secret()))
                        + "&service=" + enc(service) + "&scope=" + enc(scope) + "&client_id=berth";
                r = transport.send(HttpRequest.newBuilder(realmUri)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("User-Agent", userAgent)
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build());
                int st = r.statusCode();
                if (st == 404 || st == 401 || st == 400 || st == 405) {
                    r = transport.send(get(realmUri, service, scope)
                            .header("Authorization", "Basic " + basic(s)).build());
                }
            } else {
                r = transport.send(get(realmUri, service, scope).build());
            }
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw new BerthException(ErrorCategory.PERMISSION_DENIED, "token server " + realm + " refused "
                        + (s == null ? "anonymous access" : "the credentials of user " + s.username())
                        + " to " + scope + " on " + host + " (HTTP " + r.statusCode() + ")"
                        + (s == null ? "; configure credentials with --user or the auth_file" : ""));
            }
            if (r.statusCode() / 100 != 2) {
                throw BerthException.unavailable("token server %s answered HTTP %d for %s on %s",
                        realm, r.statusCode(), scope, host);
            }
            JsonNode body = JSON.readTree(r.body());
            String token = body.path("access_token").asString("");
            if (token.isEmpty()) {
                token = body.path("token").asString("");
            }
            if (token.isEmpty()) {
                throw BerthException.unavailable("token server %s returned no token for %s", realm, scope);
            }
            long expiresIn = body.path("expires_in").asLong(0);
            Duration life = expiresIn > 0 ? Duration.ofSeconds(expiresIn) : DEFAULT_TOKEN_LIFETIME;
            // renew a little early so a token never expires between check and use
            Duration margin = life.compareTo(Duration.ofSeconds(20)) > 0 ? Duration.ofSeconds(10) : Duration.ZERO;
            return new Token(token, now.plus(life).minus(margin));
        } catch (IOException e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE,
                    "cannot reach token server " + realm + " for " + host + ": " + e, e);
        } catch (JacksonException e) {
            throw BerthException.unavailable("token server %s sent malformed JSON: %s", realm, e.getOriginalMessage());
        }
    }

    private HttpRequest.Builder get(URI realm, String service, String scope) {
        String q = (service.isEmpty() ? "" : "service=" + enc(service) + "&") + "scope=" + enc(scope);
        String sep = realm.getRawQuery() == null ? "?" : "&";
        return HttpRequest.newBuilder(URI.create(realm + sep + q)).header("User-Agent", userAgent)
                .timeout(Duration.ofSeconds(60)).GET();
    }

    private static String basic(Credentials.Secret s) {
        return Base64.getEncoder().encodeToString((s.username() + ":" + s.secret()).getBytes(StandardCharsets.UTF_8));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
