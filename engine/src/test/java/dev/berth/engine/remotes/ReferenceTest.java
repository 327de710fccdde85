package dev.berth.engine.remotes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ReferenceTest {
    private static final String D = "sha256:" + "a".repeat(64);

    @ParameterizedTest
    @CsvSource({
        "busybox, docker.io/library/busybox:latest",
        "busybox:1.36, docker.io/library/busybox:1.36",
        "library/busybox, docker.io/library/busybox:latest",
        "user/app:v1, docker.io/user/app:v1",
        "docker.io/busybox, docker.io/library/busybox:latest",
        "index.docker.io/library/busybox:1, docker.io/library/busybox:1",
        "index.docker.io/foo/bar, docker.io/foo/bar:latest",
        "localhost/app, localhost/app:latest",
        "localhost:5000/app:2, localhost:5000/app:2",
        "127.0.0.1:5000/a/b/c:t, 127.0.0.1:5000/a/b/c:t",
        "ghcr.io/org/img:tag, ghcr.io/org/img:tag",
        "registry.k8s.io/pause:3.10, registry.k8s.io/pause:3.10",
        "Example/app, Example/app:latest",
        "[::1]:5000/app, [::1]:5000/app:latest",
        "a/b__c/d-e.f_g, docker.io/a/b__c/d-e.f_g:latest",
        "foo/bar---baz, docker.io/foo/bar---baz:latest",
    })
    void normalises(String in, String out) {
        assertEquals(out, Reference.parse(in).toString());
    }

    @Test
    void digestAndTagPlusDigest() {
        Reference r = Reference.parse("busybox@" + D);
        assertNull(r.tag());
        assertEquals(D, r.digest().toString());
        assertEquals("docker.io/library/busybox@" + D, r.toString());
        assertEquals(D, r.object());

        Reference both = Reference.parse("quay.io/x/y:1.0@" + D);
        assertEquals("1.0", both.tag());
        assertEquals(D, both.object(), "the digest decides what is fetched");
        assertEquals("quay.io/x/y:1.0@" + D, both.toString());
    }

    @Test
    void familiarNames() {
        assertEquals("busybox:latest", Reference.parse("busybox").familiar());
        assertEquals("user/app:1", Reference.parse("docker.io/user/app:1").familiar());
        assertEquals("localhost:5000/app:latest", Reference.parse("localhost:5000/app").familiar());
        assertEquals("docker.io/library/busybox", Reference.parse("busybox:1").name());
    }

    @Test
    void roundTrips() {
        for (String s : new String[] {"docker.io/library/busybox:latest", "localhost:5000/a/b:c", "ghcr.io/x/y@" + D}) {
            assertEquals(s, Reference.parse(Reference.parse(s).toString()).toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "BusyBox", "docker.io/Library/busybox", "busybox:", "busybox:-bad",
        "busybox@sha256:abc", "busybox@md5:" + "a", "a//b", "/a", "a/", "foo_/bar", "-foo", "host:port:x/y",
        "exa_mple.com/app", "busy box", "busybox:" + "t123456789012345678901234567890123456789012345678901234567890"
            + "12345678901234567890123456789012345678901234567890123456789012345678901234567890"})
    void rejectsInvalid(String s) {
        BerthException e = assertThrows(BerthException.class, () -> Reference.parse(s));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertTrue(e.getMessage().contains("reference") || e.getMessage().contains("tag"), e.getMessage());
    }

    @Test
    void errorNamesTheBadPart() {
        BerthException e = assertThrows(BerthException.class, () -> Reference.parse("docker.io/Library/busybox"));
        assertTrue(e.getMessage().contains("\"Library\"") && e.getMessage().contains("lower case"), e.getMessage());
    }

    @Test
    void tooLongName() {
        String longPath = "a/".repeat(130) + "b";
        BerthException e = assertThrows(BerthException.class, () -> Reference.parse(longPath));
        assertTrue(e.getMessage().contains("longer than 255"), e.getMessage());
    }
}
