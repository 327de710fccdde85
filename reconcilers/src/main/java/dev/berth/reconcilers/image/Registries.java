package dev.berth.reconcilers.image;

import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.remotes.auth.DockerConfigCredentials;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registry resolvers shared by every Image object: one for the node's configuration (auth_file,
 * hosts.toml), and one per credentials file an Image names, so bearer tokens are cached across
 * pulls. Thread-safe; {@link #close} closes them all.
 */
public final class Registries implements AutoCloseable {
    private final Config config;
    private final Map<String, Resolver> byFile = new ConcurrentHashMap<>();

    public Registries(Config config) {
        this.config = config;
    }

    /** The resolver for an Image with credentials {@code file} (null: the node's auth_file). */
    public Resolver resolver(String credentialsFile) {
        String key = credentialsFile == null ? "" : credentialsFile;
        return byFile.computeIfAbsent(key, k -> Engine.resolver(config, false,
                k.isEmpty() ? null : new DockerConfigCredentials(Path.of(k))));
    }

    @Override
    public void close() {
        byFile.values().forEach(Resolver::close);
        byFile.clear();
    }
}
