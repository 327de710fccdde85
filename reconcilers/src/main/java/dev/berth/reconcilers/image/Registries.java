package dev.berth.reconcilers.image;

import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.remotes.auth.DockerConfigCredentials;
import dev.berth.engine.config.Setting;
import dev.berth.engine.remotes.RemoteSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registry resolvers shared by every Image object: one for the node's configuration (auth_file,
 * hosts.toml), and one per credentials file an Image names, so bearer tokens are cached across
 * pulls. Thread-safe; {@link #close} closes them all; {@link #reconfigure} applies a reloaded config.
 */
public final class Registries implements AutoCloseable {
    /** What {@link #reconfigure} takes from a fresh config: hosts.toml directory, auth_file, the pull progress timeout. */
    public static final List<Setting<?>> LIVE = List.of(RemoteSettings.CONFIG_PATH, RemoteSettings.AUTH_FILE,
            RemoteSettings.PULL_PROGRESS_TIMEOUT);
    private volatile Config config;
    private final Map<String, Resolver> byFile = new ConcurrentHashMap<>();
    private final List<Resolver> retired = new java.util.ArrayList<>();

    public Registries(Config config) {
        this.config = config;
    }

    /** The resolver for an Image with credentials {@code file} (null: the node's auth_file). */
    public Resolver resolver(String credentialsFile) {
        String key = credentialsFile == null ? "" : credentialsFile;
        return byFile.computeIfAbsent(key, k -> Engine.resolver(config, false,
                k.isEmpty() ? null : new DockerConfigCredentials(Path.of(k))));
    }

    /**
     * Uses the {@link #LIVE} settings of {@code fresh} from the next pull on: the resolvers are dropped
     * (and with them cached tokens) and made again on demand. A pull in flight finishes with the
     * resolver it has, which is closed with this object.
     */
    public synchronized void reconfigure(Config fresh) {
        Config c = config;
        for (var s : LIVE) {
            c = c.withValueOf(s, fresh);
        }
        config = c;
        retired.addAll(byFile.values());
        byFile.clear();
    }

    @Override
    public synchronized void close() {
        retired.forEach(Resolver::close);
        retired.clear();
        byFile.values().forEach(Resolver::close);
        byFile.clear();
    }
}
