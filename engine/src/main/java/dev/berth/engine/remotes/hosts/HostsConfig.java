package dev.berth.engine.remotes.hosts;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.hosts.RegistryHost.Capability;
import dev.berth.engine.remotes.hosts.RegistryHost.ClientCertificate;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Finds the endpoints for a registry namespace from {@code hosts.toml} files, as containerd does
 * with {@code registry.config_path}: for {@code host:port} each root directory is searched for
 * {@code host_port_/}, {@code host:port/}, then {@code _default/}; the first root with a match wins.
 * The result lists the {@code [host."…"]} mirrors in file order and then the {@code server} (the
 * registry itself when no {@code server} is given). Files are read on every call, so edits apply to
 * the next pull without a restart. Thread-safe (stateless).
 */
public final class HostsConfig {
    public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(30);
    private static final Set<Capability> ALL = EnumSet.allOf(Capability.class);

    private final List<Path> roots;
    private final boolean plainHttp;

    /**
     * @param configPath colon-separated directories (may be empty)
     * @param plainHttp  use plain http for the default (non-configured) endpoint, like {@code --plain-http}
     */
    public HostsConfig(String configPath, boolean plainHttp) {
        List<Path> r = new ArrayList<>();
        if (configPath != null) {
            for (String p : configPath.split(":")) {
                if (!p.isBlank()) {
                    r.add(Path.of(p));
                }
            }
        }
        this.roots = List.copyOf(r);
        this.plainHttp = plainHttp;
    }

    /** The endpoints to try for registry namespace {@code domain}, in order. Never empty. */
    public List<RegistryHost> hosts(String domain) {
        Path file = find(domain);
        if (file == null) {
            return List.of(defaultHost(domain));
        }
        return parse(file, domain);
    }

    private Path find(String domain) {
        List<String> names = new ArrayList<>();
        int colon = domain.lastIndexOf(':');
        if (colon > 0 && !domain.endsWith("]")) {
            names.add(domain.substring(0, colon) + "_" + domain.substring(colon + 1) + "_");
        }
        names.add(domain);
        names.add("_default");
        for (Path root : roots) {
            for (String n : names) {
                Path f = root.resolve(n).resolve("hosts.toml");
                if (Files.isRegularFile(f)) {
                    return f;
                }
            }
        }
        return null;
    }

    /** The registry itself with no configuration: https, except plain http for localhost on a port. */
    RegistryHost defaultHost(String domain) {
        String authority = domain.equals("docker.io") ? "registry-1.docker.io" : domain;
        boolean http = plainHttp || isLocalhostWithPort(domain);
        boolean skipVerify = isLocalhost(domain) && !domain.endsWith(":443");
        return new RegistryHost(URI.create((http ? "http://" : "https://") + authority + "/v2"), ALL,
                skipVerify, List.of(), List.of(), Map.of(), DEFAULT_DIAL_TIMEOUT, false);
    }

    private static boolean isLocalhost(String domain) {
        String h = domain;
        int colon = domain.lastIndexOf(':');
        if (colon > 0 && !domain.endsWith("]")) {
            h = domain.substring(0, colon);
        }
        return h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]");
    }

    private static boolean isLocalhostWithPort(String domain) {
        return isLocalhost(domain) && domain.matches(".*:\\d+$") && !domain.endsWith(":443");
    }

    private List<RegistryHost> parse(Path file, String domain) {
        TomlParseResult toml;
        try {
            toml = Toml.parse(file);
        } catch (IOException e) {
            throw new BerthException(ErrorCategory.UNAVAILABLE, "cannot read " + file + ": " + e.getMessage(), e);
        }
        if (toml.hasErrors()) {
            var err = toml.errors().get(0);
            throw BerthException.invalid("%s:%d: %s", file, err.position() == null ? 0 : err.position().line(),
                    err.getMessage());
        }
        List<RegistryHost> out = new ArrayList<>();
        TomlTable hosts = toml.getTable("host");
        if (hosts != null) {
            // tomlj keeps insertion order of keys, which is the file order containerd uses
            for (String key : hosts.keySet()) {
                TomlTable t = hosts.getTable(List.of(key));
                out.add(host(file, "host.\"" + key + "\"", key, t, true));
            }
        }
        String server = toml.getString("server");
        if (server == null) {
            out.add(withTopLevel(file, toml, defaultHost(domain)));
        } else {
            out.add(host(file, "server", server, toml, false));
        }
        return List.copyOf(out);
    }

    private RegistryHost withTopLevel(Path file, TomlTable t, RegistryHost d) {
        RegistryHost h = host(file, "server", d.base().getScheme() + "://" + d.authority(), t, false);
        if (!t.contains("override_path")) {
            h = new RegistryHost(d.base(), h.capabilities(), h.skipVerify() || d.skipVerify(), h.caFiles(),
                    h.clients(), h.headers(), h.dialTimeout(), false);
        }
        return h;
    }

    private static RegistryHost host(Path file, String where, String url, TomlTable t, boolean mirror) {
        String u = url.contains("://") ? url : "https://" + url;
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw BerthException.invalid("%s: %s \"%s\" is not a URL (expected e.g. https://mirror.example:5000)",
                    file, where, url);
        }
        if (uri.getHost() == null && uri.getRawAuthority() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            throw BerthException.invalid("%s: %s \"%s\" must be an http:// or https:// URL", file, where, url);
        }
        boolean overridePath = Boolean.TRUE.equals(t.getBoolean("override_path"));
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (!overridePath && !path.endsWith("/v2")) {
            path = path + "/v2";
        }
        URI base = URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + path);

        Set<Capability> caps = ALL;
        TomlArray capArray = t.getArray("capabilities");
        if (capArray != null) {
            caps = EnumSet.noneOf(Capability.class);
            for (int i = 0; i < capArray.size(); i++) {
                Object v = capArray.get(i);
                Capability c = v instanceof String s ? Capability.parse(s.toLowerCase(Locale.ROOT)) : null;
                if (c == null) {
                    throw BerthException.invalid("%s: %s.capabilities: \"%s\" is not one of pull, resolve, push",
                            file, where, v);
                }
                caps.add(c);
            }
        }
        boolean skip = Boolean.TRUE.equals(t.getBoolean("skip_verify"));
        List<Path> cas = new ArrayList<>();
        Object ca = t.get("ca");
        if (ca instanceof String s) {
            cas.add(file.getParent().resolve(s));
        } else if (ca instanceof TomlArray a) {
            for (int i = 0; i < a.size(); i++) {
                cas.add(file.getParent().resolve(a.getString(i)));
            }
        } else if (ca != null) {
            throw BerthException.invalid("%s: %s.ca must be a path or an array of paths", file, where);
        }
        List<ClientCertificate> clients = clients(file, where, t.get("client"));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        TomlTable h = t.getTable("header");
        if (h != null) {
            for (String k : h.keySet()) {
                Object v = h.get(List.of(k));
                if (v instanceof String s) {
                    headers.put(k, List.of(s));
                } else if (v instanceof TomlArray a) {
                    List<String> vs = new ArrayList<>();
                    for (int i = 0; i < a.size(); i++) {
                        vs.add(String.valueOf(a.get(i)));
                    }
                    headers.put(k, vs);
                } else {
                    throw BerthException.invalid("%s: %s.header.%s must be a string or an array of strings",
                            file, where, k);
                }
            }
        }
        Duration dial = DEFAULT_DIAL_TIMEOUT;
        String dt = t.getString("dial_timeout");
        if (dt != null) {
            try {
                dial = dev.berth.engine.config.SettingType.parseDuration(dt);
            } catch (IllegalArgumentException e) {
                throw BerthException.invalid("%s: %s.dial_timeout \"%s\" is not a duration such as \"5s\"",
                        file, where, dt);
            }
        }
        return new RegistryHost(base, caps, skip, cas, clients, headers, dial, mirror);
    }

    /**
     * {@code client} as containerd reads it: a path (certificate and key in one file), or an array
     * whose items are such a path or a {@code [certificate, key]} pair, {@code ""} as key meaning the
     * certificate file holds the key. Relative paths are relative to the hosts.toml file.
     */
    private static List<ClientCertificate> clients(Path file, String where, Object value) {
        if (value == null) {
            return List.of();
        }
        Path dir = file.getParent();
        List<ClientCertificate> out = new ArrayList<>();
        if (value instanceof String s && !s.isEmpty()) {
            out.add(new ClientCertificate(dir.resolve(s), dir.resolve(s)));
        } else if (value instanceof TomlArray a) {
            for (int i = 0; i < a.size(); i++) {
                Object item = a.get(i);
                if (item instanceof String s && !s.isEmpty()) {
                    out.add(new ClientCertificate(dir.resolve(s), dir.resolve(s)));
                } else if (item instanceof TomlArray pair && pair.size() == 2
                        && pair.get(0) instanceof String cert && !cert.isEmpty()
                        && pair.get(1) instanceof String key) {
                    Path c = dir.resolve(cert);
                    out.add(new ClientCertificate(c, key.isEmpty() ? c : dir.resolve(key)));
                } else {
                    throw badClient(file, where, "item " + (i + 1) + " is " + describe(item));
                }
            }
        } else {
            throw badClient(file, where, "it is " + describe(value));
        }
        return List.copyOf(out);
    }

    private static BerthException badClient(Path file, String where, String what) {
        return BerthException.invalid("%s: %s.client must be a PEM file holding certificate and key, or an array"
                + " of [certificate, key] pairs such as [[\"client.cert\", \"client.key\"]] (\"\" as key: the"
                + " certificate file holds it); %s", file, where, what);
    }

    private static String describe(Object v) {
        if (v instanceof String s && s.isEmpty()) {
            return "an empty string";
        }
        return v instanceof TomlTable ? "a table" : render(v);
    }

    private static String render(Object v) {
        if (v instanceof String s) {
            return "\"" + s + "\"";
        }
        if (v instanceof TomlArray a) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                items.add(render(a.get(i)));
            }
            return "[" + String.join(", ", items) + "]";
        }
        return v instanceof TomlTable ? "{…}" : String.valueOf(v);
    }
}
