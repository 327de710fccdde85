package dev.berth.engine.remotes.docker;

import dev.berth.engine.remotes.auth.Credentials;
import dev.berth.engine.remotes.hosts.HostsConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link RegistryResolver} talks to registries. Immutable; build with {@link #builder()}.
 *
 * @param hosts            endpoints per registry namespace (hosts.toml)
 * @param credentials      registry credentials
 * @param clock            for token expiry
 * @param responseTimeout  longest wait for response headers after a request is sent
 * @param progressTimeout  longest time a body may send no bytes before the connection is dropped and resumed
 * @param attempts         tries per request on one endpoint (429/5xx/transport errors)
 * @param backoff          first retry delay, doubled per attempt
 * @param maxBackoff       retry delay cap
 * @param resumes          consecutive resumes without progress before a body read gives up
 * @param userAgent        the User-Agent header
 */
public record RegistryOptions(HostsConfig hosts, Credentials credentials, Clock clock, Duration responseTimeout,
                              Duration progressTimeout, int attempts, Duration backoff, Duration maxBackoff,
                              int resumes, String userAgent) {
    /** containerd's MaxManifestSize (4·1048·1048 bytes). */
    public static final long MAX_MANIFEST_SIZE = 4L * 1048 * 1048;

    public RegistryOptions {
        Objects.requireNonNull(hosts, "hosts");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(clock, "clock");
        if (attempts < 1 || resumes < 0) {
            throw new IllegalArgumentException("attempts must be >= 1 and resumes >= 0");
        }
        if (responseTimeout.isNegative() || responseTimeout.isZero() || progressTimeout.isNegative()
                || progressTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Options from the config: hosts.toml directories ({@code registry.config_path}), the credentials
     * file ({@code auth_file}, overridden by {@code user} when not null), and the progress timeout.
     *
     * @param plainHttp use http for registries without hosts.toml (the {@code --plain-http} flag)
     */
    public static Builder fromConfig(dev.berth.engine.config.Config config, boolean plainHttp,
                                     Credentials user) {
        Credentials creds = user != null ? user : new dev.berth.engine.remotes.auth.DockerConfigCredentials(
                java.nio.file.Path.of(config.get(dev.berth.engine.remotes.RemoteSettings.AUTH_FILE)));
        return builder()
                .hosts(new HostsConfig(config.get(dev.berth.engine.remotes.RemoteSettings.CONFIG_PATH), plainHttp))
                .credentials(creds)
                .progressTimeout(config.get(dev.berth.engine.remotes.RemoteSettings.PULL_PROGRESS_TIMEOUT));
    }

    /** Builds {@link RegistryOptions}; defaults suit production. Not thread-safe. */
    public static final class Builder {
        private HostsConfig hosts = new HostsConfig("", false);
        private Credentials credentials = Credentials.none();
        private Clock clock = Clock.systemUTC();
        private Duration responseTimeout = Duration.ofSeconds(60);
        private Duration progressTimeout = Duration.ofSeconds(30);
        private int attempts = 5;
        private Duration backoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(5);
        private int resumes = 3;
        private String userAgent = "berth/0.1";

        public Builder hosts(HostsConfig v) {
            hosts = v;
            return this;
        }

        public Builder credentials(Credentials v) {
            credentials = v;
            return this;
        }

        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        public Builder responseTimeout(Duration v) {
            responseTimeout = v;
            return this;
        }

        public Builder progressTimeout(Duration v) {
            progressTimeout = v;
            return this;
        }

        public Builder attempts(int v) {
            attempts = v;
            return this;
        }

        public Builder backoff(Duration first, Duration max) {
            backoff = first;
            maxBackoff = max;
            return this;
        }

        public Builder resumes(int v) {
            resumes = v;
            return this;
        }

        public Builder userAgent(String v) {
            userAgent = v;
            return this;
        }

        public RegistryOptions build() {
            return new RegistryOptions(hosts, credentials, clock, responseTimeout, progressTimeout, attempts,
                    backoff, maxBackoff, resumes, userAgent);
        }
    }
}
