package dev.berth.engine.remotes.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChallengeTest {
    @Test
    void bearerWithQuotedParams() {
        List<Challenge> cs = Challenge.parse(List.of(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                        + "scope=\"repository:library/busybox:pull\""));
        assertEquals(1, cs.size());
        Challenge c = cs.get(0);
        assertEquals("bearer", c.scheme());
        assertEquals("https://auth.docker.io/token", c.param("realm"));
        assertEquals("registry.docker.io", c.param("service"));
        assertEquals("repository:library/busybox:pull", c.param("scope"));
    }

    @Test
    void severalChallengesAndOddSpacing() {
        List<Challenge> cs = Challenge.parse(List.of("Basic realm=\"x, y\" , Bearer realm=r,  error=\"invalid_token\"",
                "Negotiate"));
        assertEquals(3, cs.size());
        assertEquals("basic", cs.get(0).scheme());
        assertEquals("x, y", cs.get(0).param("realm"));
        assertEquals("r", cs.get(1).param("realm"));
        assertEquals("invalid_token", cs.get(1).param("error"));
        assertEquals("negotiate", cs.get(2).scheme());
    }

    @Test
    void escapedQuote() {
        Challenge c = Challenge.parse(List.of("Basic realm=\"a\\\"b\"")).get(0);
        assertEquals("a\"b", c.param("realm"));
    }
}
