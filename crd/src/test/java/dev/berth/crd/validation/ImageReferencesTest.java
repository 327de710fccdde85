package dev.berth.crd.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferencesTest {
    @ParameterizedTest
    @ValueSource(strings = {"busybox", "busybox:1.36", "library/busybox", "docker.io/library/busybox:latest",
        "localhost/berth/busybox:latest", "localhost:5000/a/b", "127.0.0.1:5000/x:y", "ghcr.io/a_b/c__d/e--f:v1.2-rc.3",
        "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "quay.io/x/y:tag@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "[::1]:5000/img", "Registry.Example.COM/img"})
    void accepts(String ref) {
        assertEquals(Optional.empty(), ImageReferences.problem(ref), ref);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Busybox", "busybox:", ":tag", "busybox:-bad", "a//b", "a/b/", "busybox@sha256:abc",
        "busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "-a/b", "a_/b", "bad host:5000/x",
        "host:port/x", " busybox", "busybox "})
    void rejects(String ref) {
        assertTrue(ImageReferences.problem(ref).isPresent(), ref);
    }

    @Test
    void messagesSayWhatIsWrong() {
        assertEquals("repository name must be lowercase (\"Busybox\")", ImageReferences.problem("Busybox").orElseThrow());
        assertTrue(ImageReferences.problem("busybox@sha256:abc").orElseThrow().startsWith("digest \"sha256:abc\""));
        assertTrue(ImageReferences.problem("a:" + "x".repeat(129)).orElseThrow().startsWith("tag "));
    }
}
