package dev.berth.engine.remotes.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigCredentialsTest {
    @TempDir
    Path dir;

    @Test
    void readsAuthUsernamePasswordAndIdentityToken() throws Exception {
        String auth = Base64.getEncoder().encodeToString("alice:s3cr:et".getBytes(StandardCharsets.UTF_8));
        Path f = dir.resolve("auth.json");
        Files.writeString(f, "{\"auths\":{"
                + "\"https://index.docker.io/v1/\":{\"auth\":\"" + auth + "\"},"
                + "\"127.0.0.1:5000\":{\"username\":\"bob\",\"password\":\"pw\"},"
                + "\"https://ghcr.io\":{\"identitytoken\":\"refresh\"}}}");
        DockerConfigCredentials c = new DockerConfigCredentials(f);
        assertEquals("alice", c.lookup("docker.io").orElseThrow().username());
        assertEquals("s3cr:et", c.lookup("registry-1.docker.io").orElseThrow().secret());
        assertEquals("bob", c.lookup("127.0.0.1:5000").orElseThrow().username());
        assertTrue(c.lookup("ghcr.io").orElseThrow().identityToken());
        assertTrue(c.lookup("quay.io").isEmpty());
        assertTrue(c.lookup("127.0.0.1:5001").isEmpty());
    }

    @Test
    void missingFileMeansNoCredentials() {
        assertTrue(new DockerConfigCredentials(dir.resolve("none.json")).lookup("docker.io").isEmpty());
    }

    @Test
    void malformedFileIsAClearError() throws Exception {
        Path f = dir.resolve("auth.json");
        Files.writeString(f, "{\"auths\": ");
        BerthException e = assertThrows(BerthException.class, () -> new DockerConfigCredentials(f).lookup("x"));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void toStringHidesSecret() {
        assertTrue(!new Credentials.Secret("u", "topsecret", false).toString().contains("topsecret"));
    }
}
