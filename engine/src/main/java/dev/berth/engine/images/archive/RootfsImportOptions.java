package dev.berth.engine.images.archive;

import dev.berth.engine.oci.Platform;
import java.util.List;

/**
 * What {@link RootfsImporter} writes into the image it makes: the image {@code name} (required, a
 * normalised reference), the container defaults of the config ({@code cmd}, {@code entrypoint},
 * {@code env} as {@code KEY=value}, {@code workingDir}, {@code user}; null or empty for none), and
 * the {@code platform} it claims (null: the host's). Immutable.
 */
public record RootfsImportOptions(String name, List<String> cmd, List<String> entrypoint, List<String> env,
        String workingDir, String user, Platform platform) {
    public RootfsImportOptions {
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        env = env == null ? List.of() : List.copyOf(env);
    }

    public static RootfsImportOptions named(String name) {
        return new RootfsImportOptions(name, null, null, null, null, null, null);
    }

    public RootfsImportOptions withCmd(List<String> c) {
        return new RootfsImportOptions(name, c, entrypoint, env, workingDir, user, platform);
    }

    public RootfsImportOptions withEntrypoint(List<String> e) {
        return new RootfsImportOptions(name, cmd, e, env, workingDir, user, platform);
    }

    public RootfsImportOptions withEnv(List<String> e) {
        return new RootfsImportOptions(name, cmd, entrypoint, e, workingDir, user, platform);
    }

    public RootfsImportOptions withWorkingDir(String w) {
        return new RootfsImportOptions(name, cmd, entrypoint, env, w, user, platform);
    }

    public RootfsImportOptions withUser(String u) {
        return new RootfsImportOptions(name, cmd, entrypoint, env, workingDir, u, platform);
    }

    public RootfsImportOptions withPlatform(Platform p) {
        return new RootfsImportOptions(name, cmd, entrypoint, env, workingDir, user, p);
    }
}
