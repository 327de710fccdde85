package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.remotes.auth.Credentials;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by {@code pull} and {@code push}: registry access and the root to open. */
final class RegistryOptionsMixin {
    @Option(names = "--plain-http", description = "Use plain HTTP for registries without a hosts.toml.")
    boolean plainHttp;

    @Option(names = {"-u", "--user"}, paramLabel = "USER[:PASSWORD]",
            description = "Registry credentials (instead of the auth_file).")
    String user;

    @Option(names = "--root", paramLabel = "DIR", description = "Persistent data directory (overrides root).")
    Path root;

    Config apply(Config c) {
        return root == null ? c : c.with(EngineSettings.ROOT, root.toAbsolutePath().toString());
    }

    /** A resolver for these flags over the node's registry configuration; the caller closes it. */
    Resolver resolver(Config c) {
        Credentials creds = null;
        if (user != null) {
            int colon = user.indexOf(':');
            if (colon <= 0) {
                throw BerthException.invalid("--user must be USER:PASSWORD (got \"%s\")", user.contains(":") ? "" : user);
            }
            creds = Credentials.fixed(user.substring(0, colon), user.substring(colon + 1));
        }
        return Engine.resolver(c, plainHttp, creds);
    }
}
