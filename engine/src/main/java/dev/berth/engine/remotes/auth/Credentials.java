package dev.berth.engine.remotes.auth;

import java.util.Optional;

/**
 * Where registry credentials come from. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Credentials {
    /** A user name and secret (password or token); {@code identityToken} when the secret is a refresh token. */
    record Secret(String username, String secret, boolean identityToken) {
        @Override
        public String toString() {
            return "Secret[" + username + ", ***]";
        }
    }

    /** Credentials for registry host {@code host} ({@code host[:port]} as in the reference), if any. */
    Optional<Secret> lookup(String host);

    /** No credentials anywhere (anonymous pulls). */
    static Credentials none() {
        return host -> Optional.empty();
    }

    /** The same credentials for every host (e.g. from {@code --user}). */
    static Credentials fixed(String username, String password) {
        Secret s = new Secret(username, password, false);
        return host -> Optional.of(s);
    }
}
