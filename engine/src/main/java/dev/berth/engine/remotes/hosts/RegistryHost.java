package dev.berth.engine.remotes.hosts;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One endpoint that can serve a registry namespace: a mirror from {@code hosts.toml}, the configured
 * {@code server}, or the registry itself. Requests go to {@code <base>/<repository>/manifests/…}
 * where {@code base} already holds the API path ({@code /v2} unless {@code override_path}). Immutable.
 *
 * @param base         scheme, authority and API path, e.g. {@code https://mirror.example/v2}
 * @param capabilities what this host may be asked for
 * @param skipVerify   TLS certificates are not checked
 * @param caFiles      extra PEM CA files trusted for this host
 * @param clients      client certificates offered when the host asks for one (mutual TLS), in file order
 * @param headers      extra request headers
 * @param dialTimeout  connect timeout
 * @param mirror       true for a {@code [host."…"]} entry, false for the upstream itself
 */
public record RegistryHost(URI base, Set<Capability> capabilities, boolean skipVerify, List<Path> caFiles,
                           List<ClientCertificate> clients, Map<String, List<String>> headers,
                           Duration dialTimeout, boolean mirror) {

    /**
     * A client certificate from hosts.toml's {@code client}. Only paths: the files are read when the
     * TLS setup for the host is built. Immutable.
     *
     * @param certificate PEM file with the certificate chain, leaf first
     * @param key         PEM file with the private key; equal to {@code certificate} when that file
     *                    holds both
     */
    public record ClientCertificate(Path certificate, Path key) {
        public ClientCertificate {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
        }
    }

    /** What a host may be asked for, as hosts.toml's {@code capabilities} names them. */
    public enum Capability {
        /** Fetch blobs and manifests by digest. */
        PULL,
        /** Resolve a tag to a digest. */
        RESOLVE,
        /** Upload blobs and manifests. */
        PUSH;

        public static Capability parse(String s) {
            return switch (s) {
                case "pull" -> PULL;
                case "resolve" -> RESOLVE;
                case "push" -> PUSH;
                default -> null;
            };
        }
    }

    public RegistryHost {
        capabilities = Set.copyOf(capabilities);
        caFiles = List.copyOf(caFiles);
        clients = List.copyOf(clients);
        headers = Map.copyOf(headers);
    }

    public boolean can(Capability c) {
        return capabilities.contains(c);
    }

    /** {@code host:port} as it appears in the URL. */
    public String authority() {
        return base.getRawAuthority();
    }

    public boolean plainHttp() {
        return "http".equals(base.getScheme());
    }

    /** The URL of {@code suffix} (e.g. {@code library/busybox/manifests/latest}) under the API base. */
    public URI resolve(String suffix) {
        String b = base.toString();
        return URI.create(b.endsWith("/") ? b + suffix : b + "/" + suffix);
    }

    @Override
    public String toString() {
        return base.toString();
    }
}
