package dev.berth.engine.remotes.docker;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.remotes.Pusher;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.hosts.RegistryHost;
import dev.berth.engine.remotes.hosts.RegistryHost.Capability;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Pushes into one repository on the first endpoint with the {@code push} capability: HEAD to check
 * for a blob, a monolithic upload (POST {@code /blobs/uploads/} then PUT {@code <location>?digest=})
 * when it is missing, and PUT {@code /manifests/<tag>} for manifests and indexes. Thread-safe.
 */
final class RegistryPusher implements Pusher {
    private final RegistryResolver resolver;
    private final Reference ref;
    private final RegistryHost host;

    RegistryPusher(RegistryResolver resolver, Reference ref) {
        this.resolver = resolver;
        this.ref = ref;
        this.host = resolver.hosts(ref, Capability.PUSH).get(0);
    }

    private String scope() {
        return "repository:" + ref.path() + ":pull,push";
    }

    private HttpResponse<InputStream> send(String method, String suffix, Map<String, List<String>> headers,
                                           java.util.function.Supplier<HttpRequest.BodyPublisher> body, String what) {
        try {
            return resolver.requester().send(host, new HostRequester.Call(method, suffix, headers, body, scope(),
                    true, what));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException(ErrorCategory.UNAVAILABLE, what + " was interrupted", e);
        }
    }

    @Override
    public boolean exists(Descriptor desc) {
        boolean manifest = MediaTypes.isManifest(desc.mediaType()) || MediaTypes.isIndex(desc.mediaType());
        String suffix = ref.path() + (manifest ? "/manifests/" : "/blobs/") + desc.digest();
        HttpResponse<InputStream> r = send("HEAD", suffix,
                manifest ? Map.of("Accept", List.of(desc.mediaType())) : Map.of(), null,
                "HEAD of " + desc.digest() + " in " + ref.name());
        HostRequester.close(r);
        if (r.statusCode() == 404) {
            return false;
        }
        failUnless(r, 200, "checking for " + desc.digest());
        return true;
    }

    @Override
    public void pushBlob(Descriptor desc, Source source) {
        String what = RegistryFetcher.label(desc) + " to " + ref.name() + " on " + host;
        HttpResponse<InputStream> start = send("POST", ref.path() + "/blobs/uploads/", Map.of(), null,
                "starting the upload of " + what);
        HostRequester.close(start);
        failUnless(start, 202, "starting the upload of " + what);
        String location = start.headers().firstValue("Location").orElseThrow(() -> BerthException.unavailable(
                "%s answered the upload start of %s without a Location header", host, what));
        URI upload = host.resolve(ref.path() + "/blobs/uploads/").resolve(location);
        String sep = upload.getRawQuery() == null ? "?" : "&";
        URI put = URI.create(upload + sep + "digest=" + URLEncoder.encode(desc.digest().toString(), StandardCharsets.UTF_8));
        String suffix = relative(put);
        HttpResponse<InputStream> done = send("PUT", suffix,
                Map.of("Content-Type", List.of("application/octet-stream")),
                () -> HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        return source.open();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }), desc.size()), "uploading " + what);
        HostRequester.close(done);
        failUnless(done, 201, "uploading " + what);
    }

    /** The part of {@code u} under the endpoint's API base, as the requester expects. */
    private String relative(URI u) {
        String base = host.base().toString();
        String s = u.toString();
        if (!s.startsWith(base + "/")) {
            throw BerthException.unavailable("%s sent an upload location %s outside its API base %s", host, u, base);
        }
        return s.substring(base.length() + 1);
    }

    @Override
    public void pushManifest(Descriptor desc, byte[] body, String tagOrDigest) {
        String what = "manifest " + desc.digest() + " as " + ref.name() + ":" + tagOrDigest + " on " + host;
        HttpResponse<InputStream> r = send("PUT", ref.path() + "/manifests/" + tagOrDigest,
                Map.of("Content-Type", List.of(desc.mediaType())),
                () -> HttpRequest.BodyPublishers.ofByteArray(body), "putting " + what);
        HostRequester.close(r);
        failUnless(r, 201, "putting " + what);
    }

    private void failUnless(HttpResponse<InputStream> r, int expected, String what) {
        int st = r.statusCode();
        if (st == expected || (st / 100 == 2 && expected / 100 == 2)) {
            return;
        }
        if (st == 401 || st == 403) {
            throw new BerthException(ErrorCategory.PERMISSION_DENIED, what + ": push access denied for " + ref
                    + " on " + host + " (HTTP " + st + "); check the credentials (--user or auth_file)");
        }
        if (st == 404) {
            throw BerthException.notFound("%s: %s answered HTTP 404", what, host);
        }
        throw BerthException.unavailable("%s: %s answered HTTP %d", what, host, st);
    }
}
