package dev.berth.engine.remotes.docker;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.remotes.Fetcher;
import dev.berth.engine.remotes.Pusher;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.Resolved;
import dev.berth.engine.remotes.Resolver;
import dev.berth.engine.remotes.auth.Authorizer;
import dev.berth.engine.remotes.hosts.RegistryHost;
import dev.berth.engine.remotes.hosts.RegistryHost.Capability;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link Resolver} for registries that speak the OCI distribution API (Docker Hub, distribution,
 * Harbor, …) over {@link java.net.http.HttpClient}. Resolution sends HEAD to
 * {@code /v2/<repo>/manifests/<tag|digest>} with containerd's Accept list and trusts
 * {@code Docker-Content-Digest}; it falls back to GET (hashing the body) when the registry answers
 * 405 or omits the digest. Endpoints come from hosts.toml: mirrors first, then the upstream, each
 * asked only for what its capabilities allow. Thread-safe; {@link #close()} stops its HTTP threads.
 */
public final class RegistryResolver implements Resolver, AutoCloseable {
    private final RegistryOptions options;
    private final RegistryTransport transport = new RegistryTransport();
    private final HostRequester requester;

    public RegistryResolver(RegistryOptions options) {
        this.options = options;
        Authorizer authorizer = new Authorizer(options.credentials(), options.clock(),
                req -> transport.send(transport.defaultClient(), req, HttpResponse.BodyHandlers.ofByteArray()),
                options.userAgent());
        this.requester = new HostRequester(transport, authorizer, options);
    }

    RegistryOptions options() {
        return options;
    }

    HostRequester requester() {
        return requester;
    }

    /** The endpoints for {@code ref} that have {@code capability}, in order. */
    List<RegistryHost> hosts(Reference ref, Capability capability) {
        List<RegistryHost> out = new ArrayList<>();
        for (RegistryHost h : options.hosts().hosts(ref.domain())) {
            if (h.can(capability)) {
                out.add(h);
            }
        }
        if (out.isEmpty()) {
            throw BerthException.precondition("no endpoint for registry %s has the %s capability; check"
                    + " capabilities in its hosts.toml", ref.domain(), capability.name().toLowerCase());
        }
        return out;
    }

    /** {@code ?ns=<registry>} when a request goes to a host other than the reference's registry. */
    static String ns(RegistryHost host, Reference ref) {
        String a = host.authority();
        if (a.equals(ref.domain()) || (ref.domain().equals("docker.io") && a.equals("registry-1.docker.io"))) {
            return "";
        }
        return "?ns=" + URLEncoder.encode(ref.domain(), StandardCharsets.UTF_8);
    }

    static String pullScope(Reference ref) {
        return "repository:" + ref.path() + ":pull";
    }

    @Override
    public Resolved resolve(Reference ref) {
        boolean byDigest = ref.digest() != null;
        List<RegistryHost> hosts = hosts(ref, byDigest ? Capability.PULL : Capability.RESOLVE);
        List<String> tried = new ArrayList<>();
        BerthException best = null;
        for (int i = 0; i < hosts.size(); i++) {
            RegistryHost host = hosts.get(i);
            try {
                return new Resolved(ref, resolveOn(host, ref, i == hosts.size() - 1));
            } catch (BerthException e) {
                tried.add(host + ": " + e.getMessage());
                if (best == null || rank(e) > rank(best)) {
                    best = e;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BerthException(ErrorCategory.UNAVAILABLE, "resolving " + ref + " was interrupted", e);
            }
        }
        if (hosts.size() == 1) {
            throw best;
        }
        throw new BerthException(best.category(), "resolving " + ref + " failed on every endpoint: "
                + String.join(" | ", tried), best);
    }

    /** Which failure is worth reporting: the one that got furthest. */
    private static int rank(BerthException e) {
        return switch (e.category()) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_IMPLEMENTED -> 4;
            case NOT_FOUND -> 3;
            case PERMISSION_DENIED -> 2;
            default -> 1;
        };
    }

    private Descriptor resolveOn(RegistryHost host, Reference ref, boolean last) throws InterruptedException {
        String suffix = ref.path() + "/manifests/" + ref.object() + ns(host, ref);
        Map<String, List<String>> accept = Map.of("Accept", List.of(ManifestBodies.RESOLVE_ACCEPT));
        String what = "manifest " + ref;
        HttpResponse<InputStream> r = requester.send(host, new HostRequester.Call("HEAD", suffix, accept, null,
                pullScope(ref), last, "HEAD of " + what));
        HostRequester.close(r);
        if (r.statusCode() == 405 || r.statusCode() == 400) {
            return getManifest(host, ref, suffix, accept, last);
        }
        check(r, ref, host);
        String type = ManifestBodies.baseType(r.headers().firstValue("Content-Type").orElse(null));
        ManifestBodies.refuseSchema1(type, what);
        String dgst = r.headers().firstValue("Docker-Content-Digest").orElse(null);
        long len = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (dgst == null || len <= 0 || type == null || !(MediaTypes.isManifest(type) || MediaTypes.isIndex(type))) {
            return getManifest(host, ref, suffix, accept, last);
        }
        Digest d = parseDigest(dgst, host, what);
        if (ref.digest() != null && !ref.digest().equals(d)) {
            return getManifest(host, ref, suffix, accept, last);
        }
        checkSize(len, what);
        return Descriptor.of(type, d, len);
    }

    private Descriptor getManifest(RegistryHost host, Reference ref, String suffix, Map<String, List<String>> accept,
                                   boolean last) throws InterruptedException {
        String what = "manifest " + ref;
        HttpResponse<InputStream> r = requester.send(host, new HostRequester.Call("GET", suffix, accept, null,
                pullScope(ref), last, "GET of " + what));
        try (InputStream in = r.body()) {
            check(r, ref, host);
            String ctype = r.headers().firstValue("Content-Type").orElse(null);
            ManifestBodies.refuseSchema1(ManifestBodies.baseType(ctype), what);
            long len = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (len > 0) {
                checkSize(len, what);
            }
            byte[] body = readLimited(in, what);
            Digest actual = Digest.sha256(body);
            String header = r.headers().firstValue("Docker-Content-Digest").orElse(null);
            if (ref.digest() != null && !ref.digest().equals(actual)) {
                throw BerthException.precondition("%s from %s has digest %s, not the %s asked for; the registry"
                        + " serves corrupt or different content", what, host, actual, ref.digest());
            }
            if (header != null && ref.digest() == null && !parseDigest(header, host, what).equals(actual)) {
                throw BerthException.precondition("%s from %s has digest %s but the registry announced %s"
                        + " (Docker-Content-Digest); refusing it", what, host, actual, header);
            }
            String type = ManifestBodies.mediaType(body, ctype, what);
            return Descriptor.of(type, actual, body.length);
        } catch (IOException e) {
            throw BerthException.unavailable("reading %s from %s failed: %s", what, host, HostRequester.describe(e));
        }
    }

    static byte[] readLimited(InputStream in, String what) throws IOException {
        byte[] body = in.readNBytes((int) RegistryOptions.MAX_MANIFEST_SIZE + 1);
        checkSize(body.length, what);
        return body;
    }

    static void checkSize(long len, String what) {
        if (len > RegistryOptions.MAX_MANIFEST_SIZE) {
            throw BerthException.precondition("%s is %s bytes, over the manifest size limit of %d bytes; refusing it",
                    what, len > RegistryOptions.MAX_MANIFEST_SIZE + 1 ? Long.toString(len) : "more than "
                            + RegistryOptions.MAX_MANIFEST_SIZE, RegistryOptions.MAX_MANIFEST_SIZE);
        }
    }

    private static Digest parseDigest(String s, RegistryHost host, String what) {
        try {
            return Digest.parse(s.trim());
        } catch (BerthException e) {
            throw BerthException.precondition("%s: %s sent an invalid Docker-Content-Digest \"%s\"", what, host, s);
        }
    }

    /** Maps a non-2xx answer about {@code ref} to the error a user can act on. */
    static void check(HttpResponse<InputStream> r, Reference ref, RegistryHost host) {
        int st = r.statusCode();
        if (st / 100 == 2) {
            return;
        }
        String detail = errorDetail(r);
        if (st == 404) {
            throw BerthException.notFound("%s: not found on %s (HTTP 404%s); check the repository name and tag",
                    ref, host, detail);
        }
        if (st == 401 || st == 403) {
            throw new BerthException(ErrorCategory.PERMISSION_DENIED, "pull access denied for " + ref + " on " + host
                    + " (HTTP " + st + detail + "): the repository does not exist or needs credentials"
                    + " (--user or auth_file)");
        }
        throw BerthException.unavailable("%s: %s answered HTTP %d%s", ref, host, st, detail);
    }

    private static String errorDetail(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            byte[] b = in.readNBytes(512);
            String s = new String(b, StandardCharsets.UTF_8).replaceAll("\\s+", " ").trim();
            return s.isEmpty() ? "" : ", " + s;
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public Fetcher fetcher(Reference ref) {
        return new RegistryFetcher(this, ref);
    }

    @Override
    public Pusher pusher(Reference ref) {
        return new RegistryPusher(this, ref);
    }

    @Override
    public void close() {
        transport.close();
    }
}
