package dev.berth.engine.remotes.auth;

import dev.berth.engine.testing.FakeClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

class AuthorizerTest {

    /** Records token requests and answers with numbered tokens. */
    static class Tokens implements Authorizer.TokenTransport {
        final List<HttpRequest> requests = new ArrayList<>();
        int status = 200;
        String expiresIn = "300";

        @Override
        public HttpResponse<byte[]> send(HttpRequest request) {
            requests.add(request);
            String body = "{\"token\":\"t" + requests.size() + "\"" + (expiresIn == null ? "" : ",\"expires_in\":" + expiresIn)
                    + "}";
            return response(request, status, body);
        }
    }

    static HttpResponse<byte[]> response(HttpRequest req, int status, String body) {
        return new HttpResponse<>() {
            public int statusCode() {
                return status;
            }

            public HttpRequest request() {
                return req;
            }

            public Optional<HttpResponse<byte[]>> previousResponse() {
                return Optional.empty();
            }

            public HttpHeaders headers() {
                return HttpHeaders.of(Map.of(), (a, b) -> true);
            }

            public byte[] body() {
                return body.getBytes(StandardCharsets.UTF_8);
            }

            public Optional<SSLSession> sslSession() {
                return Optional.empty();
            }

            public java.net.URI uri() {
                return req.uri();
            }

            public HttpClient.Version version() {
                return HttpClient.Version.HTTP_1_1;
            }
        };
    }

    private static final List<String> BEARER = List.of(
            "Bearer realm=\"https://auth.example/token\",service=\"reg\",scope=\"repository:a:pull\"");

    @Test
    void anonymousTokenIsCachedPerScopeUntilItExpires() throws Exception {
        FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        Tokens t = new Tokens();
        Authorizer a = new Authorizer(Credentials.none(), clock, t, "test");
        assertTrue(a.authorization("reg.example", "repository:a:pull").isEmpty(), "nothing before a challenge");
        assertTrue(a.challenged("reg.example", BEARER));
        assertEquals("Bearer t1", a.authorization("reg.example", "repository:a:pull").orElseThrow());
        assertEquals("Bearer t1", a.authorization("reg.example", "repository:a:pull").orElseThrow());
        assertEquals(1, t.requests.size());
        assertEquals("GET", t.requests.get(0).method());
        assertEquals("https://auth.example/token?service=reg&scope=repository%3Aa%3Apull",
                t.requests.get(0).uri().toString());
        assertEquals("Bearer t2", a.authorization("reg.example", "repository:b:pull").orElseThrow(), "other scope");

        clock.advance(Duration.ofSeconds(295));
        assertEquals("Bearer t3", a.authorization("reg.example", "repository:a:pull").orElseThrow(),
                "renewed shortly before expires_in runs out");
        assertEquals(3, t.requests.size());
    }

    @Test
    void aSecondChallengeDropsCachedTokens() throws Exception {
        Tokens t = new Tokens();
        Authorizer a = new Authorizer(Credentials.none(), new FakeClock(Instant.parse("2026-01-01T00:00:00Z")), t, "test");
        a.challenged("reg.example", BEARER);
        assertEquals("Bearer t1", a.authorization("reg.example", "s").orElseThrow());
        a.challenged("reg.example", List.of("Bearer realm=\"https://auth.example/token\",error=\"invalid_token\""));
        assertEquals("Bearer t2", a.authorization("reg.example", "s").orElseThrow());
    }

    @Test
    void tokensWithoutExpiryLiveSixtySecondsLessTheRenewalMargin() throws Exception {
        FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        Tokens t = new Tokens();
        t.expiresIn = null;
        Authorizer a = new Authorizer(Credentials.none(), clock, t, "test");
        a.challenged("r", BEARER);
        a.authorization("r", "s");
        clock.advance(Duration.ofSeconds(49));
        a.authorization("r", "s");
        assertEquals(1, t.requests.size());
        clock.advance(Duration.ofSeconds(2));
        a.authorization("r", "s");
        assertEquals(2, t.requests.size());
    }

    @Test
    void credentialsArePostedThenBasicGetOnFallback() throws Exception {
        Tokens t = new Tokens();
        Authorizer a = new Authorizer(Credentials.fixed("u", "p w"), new FakeClock(Instant.parse("2026-01-01T00:00:00Z")), t, "test");
        a.challenged("r", BEARER);
        a.authorization("r", "repository:a:pull");
        assertEquals("POST", t.requests.get(0).method());
        assertEquals("application/x-www-form-urlencoded", t.requests.get(0).headers().firstValue("Content-Type").orElse(""));

        Tokens fallback = new Tokens() {
            @Override
            public HttpResponse<byte[]> send(HttpRequest request) {
                status = request.method().equals("POST") ? 404 : 200;
                return super.send(request);
            }
        };
        Authorizer b = new Authorizer(Credentials.fixed("u", "p w"), new FakeClock(Instant.parse("2026-01-01T00:00:00Z")), fallback, "test");
        b.challenged("r", BEARER);
        assertEquals("Bearer t2", b.authorization("r", "repository:a:pull").orElseThrow());
        HttpRequest get = fallback.requests.get(1);
        assertEquals("GET", get.method());
        assertEquals("Basic " + Base64.getEncoder().encodeToString("u:p w".getBytes(StandardCharsets.UTF_8)),
                get.headers().firstValue("Authorization").orElseThrow());
    }

    @Test
    void refusedTokenAndBasicWithoutCredentials() throws Exception {
        Tokens t = new Tokens();
        t.status = 401;
        Authorizer a = new Authorizer(Credentials.none(), new FakeClock(Instant.parse("2026-01-01T00:00:00Z")), t, "test");
        a.challenged("r", BEARER);
        BerthException e = assertThrows(BerthException.class, () -> a.authorization("r", "repository:a:pull"));
        assertEquals(ErrorCategory.PERMISSION_DENIED, e.category());
        assertTrue(e.getMessage().contains("anonymous access to repository:a:pull"), e.getMessage());

        Authorizer b = new Authorizer(Credentials.none(), new FakeClock(Instant.parse("2026-01-01T00:00:00Z")), t, "test");
        b.challenged("r", List.of("Basic realm=\"x\""));
        e = assertThrows(BerthException.class, () -> b.authorization("r", "s"));
        assertEquals(ErrorCategory.PERMISSION_DENIED, e.category());

        Authorizer c = new Authorizer(Credentials.fixed("u", "p"), new FakeClock(Instant.parse("2026-01-01T00:00:00Z")), t, "test");
        c.challenged("r", List.of("Basic realm=\"x\""));
        assertEquals("Basic " + Base64.getEncoder().encodeToString("u:p".getBytes(StandardCharsets.UTF_8)),
                c.authorization("r", "s").orElseThrow());
        assertFalse(c.challenged("r", List.of("Negotiate abc")), "unsupported schemes cannot be answered");
    }
}
