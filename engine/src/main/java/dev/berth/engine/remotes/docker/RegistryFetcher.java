package dev.berth.engine.remotes.docker;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.remotes.Fetcher;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.remotes.hosts.RegistryHost;
import dev.berth.engine.remotes.hosts.RegistryHost.Capability;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches manifests ({@code /manifests/<digest>}) and blobs ({@code /blobs/<digest>}) of one
 * repository from the first endpoint with the {@code pull} capability that has them. Thread-safe.
 */
final class RegistryFetcher implements Fetcher {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final RegistryResolver resolver;
    private final Reference ref;

    RegistryFetcher(RegistryResolver resolver, Reference ref) {
        this.resolver = resolver;
        this.ref = ref;
    }

    @Override
    public InputStream fetch(Descriptor desc, long offset, java.util.function.Consumer<String> retrying) {
        if (desc.size() <= 0) {
            throw BerthException.precondition("%s of %s has size %d in its descriptor; refusing to fetch content of"
                    + " unknown size", desc.digest(), ref, desc.size());
        }
        if (MediaTypes.isManifest(desc.mediaType()) || MediaTypes.isIndex(desc.mediaType())) {
            RegistryResolver.checkSize(desc.size(), "manifest " + desc.digest() + " of " + ref);
        }
        String what = label(desc) + " of " + ref.name();
        try {
            InputStream first = open(desc, offset, what);
            RegistryOptions o = resolver.options();
            return new ResumingStream(what, desc.size(), offset, first, off -> open(desc, off, what),
                    o.progressTimeout(), o.resumes(), retrying);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BerthException(ErrorCategory.UNAVAILABLE, "fetching " + what + " was interrupted", e);
        }
    }

    @Override
    public byte[] fetchManifest(Descriptor desc) {
        String what = "manifest " + desc.digest() + " of " + ref.name();
        try (InputStream in = fetch(desc, 0)) {
            return RegistryResolver.readLimited(in, what);
        } catch (IOException e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, "reading " + what + ": " + e.getMessage(), e);
        }
    }

    static String label(Descriptor d) {
        String kind = MediaTypes.isIndex(d.mediaType()) ? "index" : MediaTypes.isManifest(d.mediaType()) ? "manifest"
                : MediaTypes.isConfig(d.mediaType()) ? "config" : MediaTypes.isLayer(d.mediaType()) ? "layer" : "blob";
        return kind + " " + d.digest();
    }

    private InputStream open(Descriptor desc, long offset, String what) throws InterruptedException {
        boolean manifest = MediaTypes.isManifest(desc.mediaType()) || MediaTypes.isIndex(desc.mediaType());
        List<RegistryHost> hosts = resolver.hosts(ref, Capability.PULL);
        List<String> tried = new ArrayList<>();
        BerthException best = null;
        for (int i = 0; i < hosts.size(); i++) {
            RegistryHost host = hosts.get(i);
            boolean last = i == hosts.size() - 1;
            try {
                InputStream in = openOn(host, desc, offset, manifest ? "manifests" : "blobs", last, what);
                if (in == null && manifest) {
                    in = openOn(host, desc, offset, "blobs", last, what);
                }
                if (in != null) {
                    return in;
                }
                BerthException nf = BerthException.notFound("%s: not found on %s (HTTP 404)", what, host);
                tried.add(nf.getMessage());
                best = best == null ? nf : best;
            } catch (BerthException e) {
                tried.add(host + ": " + e.getMessage());
                if (best == null || best.category() != ErrorCategory.NOT_FOUND) {
                    best = e;
                }
            }
        }
        if (hosts.size() == 1) {
            throw best;
        }
        throw new BerthException(best.category(), "fetching " + what + " failed on every endpoint: "
                + String.join(" | ", tried), best);
    }

    /** The body positioned at {@code offset}, or null on 404. */
    private InputStream openOn(RegistryHost host, Descriptor desc, long offset, String kind, boolean last,
                               String what) throws InterruptedException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Accept", List.of(desc.mediaType() + ", */*"));
        if (offset > 0) {
            headers.put("Range", List.of("bytes=" + offset + "-"));
        }
        String suffix = ref.path() + "/" + kind + "/" + desc.digest() + RegistryResolver.ns(host, ref);
        HttpResponse<InputStream> r = resolver.requester().send(host, new HostRequester.Call("GET", suffix, headers,
                null, RegistryResolver.pullScope(ref), last, "GET of " + what));
        int st = r.statusCode();
        if (st == 404) {
            HostRequester.close(r);
            return null;
        }
        if (st == 401 || st == 403) {
            HostRequester.close(r);
            throw new BerthException(ErrorCategory.PERMISSION_DENIED, "access to " + what + " on " + host
                    + " denied (HTTP " + st + "); the repository needs credentials (--user or auth_file)");
        }
        if (st != 200 && st != 206) {
            HostRequester.close(r);
            throw BerthException.unavailable("GET of %s from %s answered HTTP %d", what, host, st);
        }
        InputStream in = r.body();
        if (offset > 0) {
            String cr = r.headers().firstValue("Content-Range").orElse(null);
            if (st == 206 && cr != null) {
                Matcher m = CONTENT_RANGE.matcher(cr.trim());
                if (!m.matches() || Long.parseLong(m.group(1)) != offset) {
                    HostRequester.close(r);
                    throw BerthException.unavailable("%s: %s answered Range bytes=%d- with Content-Range \"%s\"",
                            what, host, offset, cr);
                }
            } else {
                // the server ignored Range: skip what we already have
                try {
                    in.skipNBytes(offset);
                } catch (IOException e) {
                    HostRequester.close(r);
                    throw BerthException.unavailable("%s: skipping to byte %d of a full response from %s failed: %s",
                            what, offset, host, HostRequester.describe(e));
                }
            }
        }
        return in;
    }
}
