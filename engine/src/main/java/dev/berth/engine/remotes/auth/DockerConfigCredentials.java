package dev.berth.engine.remotes.auth;

import dev.berth.engine.errdefs.BerthException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Credentials from a file in Docker's {@code config.json} format: {@code {"auths": {"host":
 * {"auth": base64(user:password)} | {"username", "password"} | {"identitytoken"}}}}. Keys may be a
 * bare host, a URL ({@code https://host/v1/}), and Docker Hub may appear as
 * {@code https://index.docker.io/v1/}. The file is read on every lookup so that edits apply at once; a
 * missing file means no credentials. Thread-safe.
 */
public final class DockerConfigCredentials implements Credentials {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Path file;

    public DockerConfigCredentials(Path file) {
        this.file = file;
    }

    @Override
    public Optional<Secret> lookup(String host) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read registry credentials %s: %s", file, e.getMessage());
        } catch (JacksonException e) {
            throw BerthException.invalid("registry credentials %s are not valid JSON: %s (expected the docker"
                    + " config.json format {\"auths\": {\"host\": {\"auth\": \"base64(user:password)\"}}})",
                    file, e.getOriginalMessage());
        }
        JsonNode auths = root.path("auths");
        if (!auths.isObject()) {
            return Optional.empty();
        }
        for (Map.Entry<String, JsonNode> e : auths.properties()) {
            if (normalise(e.getKey()).equals(normalise(host))) {
                return Optional.ofNullable(decode(e.getKey(), e.getValue()));
            }
        }
        return Optional.empty();
    }

    private Secret decode(String key, JsonNode n) {
        String identity = n.path("identitytoken").asString("");
        String user = n.path("username").asString("");
        String pass = n.path("password").asString("");
        String auth = n.path("auth").asString("");
        if (!auth.isEmpty()) {
            String plain;
            try {
                plain = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw BerthException.invalid("registry credentials %s: auths.\"%s\".auth is not base64", file, key);
            }
            int c = plain.indexOf(':');
            if (c < 0) {
                throw BerthException.invalid("registry credentials %s: auths.\"%s\".auth must encode user:password",
                        file, key);
            }
            user = plain.substring(0, c);
            pass = plain.substring(c + 1);
        }
        if (!identity.isEmpty()) {
            return new Secret(user, identity, true);
        }
        if (user.isEmpty() && pass.isEmpty()) {
            return null;
        }
        return new Secret(user, pass, false);
    }

    private static String normalise(String key) {
        String k = key;
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            k = k.substring(0, slash);
        }
        if (k.equals("index.docker.io") || k.equals("registry-1.docker.io")) {
            k = "docker.io";
        }
        return k;
    }
}
