package dev.berth.engine.sandbox;

import dev.berth.engine.errdefs.BerthException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The files a sandbox gives every container in it, bind-mounted read-only over the image's:
 * {@code /etc/hosts}, {@code /etc/hostname} and {@code /etc/resolv.conf}, kept in
 * {@code <state>/sandboxes/<namespace>/<name>/}. Their content follows kubelet's: a managed hosts
 * file (loopback lines, the sandbox address under its hostname, then hostAliases), and the host's
 * resolver configuration (kubelet's "Default" DNS policy) with the sandbox's own nameservers,
 * searches and options merged in.
 *
 * <p>Files are written to a temporary name and renamed, so a crash never leaves half a file; a
 * container started before a rewrite keeps the old inode, which is why a rebuilt sandbox restarts
 * its containers. Stateless and thread-safe; writing one sandbox's files from two threads at once
 * is the caller's to avoid (the work queue runs one reconcile per object).
 */
public final class SandboxFiles {
    /** glibc reads at most this many nameserver lines. */
    static final int MAX_NAMESERVERS = 3;
    /** systemd-resolved's full upstream list, used when the host file only names its local stub. */
    static final Path RESOLVED_UPSTREAM = Path.of("/run/systemd/resolve/resolv.conf");

    private SandboxFiles() {
    }

    /** An /etc/hosts line. */
    public record HostEntry(String ip, List<String> names) {
        public HostEntry {
            names = List.copyOf(names);
        }
    }

    /** Extra resolver settings; empty lists add nothing. */
    public record Dns(List<String> nameservers, List<String> searches, List<String> options) {
        public static final Dns NONE = new Dns(List.of(), List.of(), List.of());

        public Dns {
            nameservers = nameservers == null ? List.of() : List.copyOf(nameservers);
            searches = searches == null ? List.of() : List.copyOf(searches);
            options = options == null ? List.of() : List.copyOf(options);
        }
    }

    /** Where one sandbox's files are. */
    public record Paths(Path dir, Path hosts, Path hostname, Path resolvConf) {
        /** Container path → host file, in the order they are mounted. */
        public Map<String, Path> mounts() {
            Map<String, Path> m = new LinkedHashMap<>();
            m.put("/etc/hosts", hosts);
            m.put("/etc/hostname", hostname);
            m.put("/etc/resolv.conf", resolvConf);
            return m;
        }
    }

    /** The one place that computes a sandbox's file directory. */
    public static Paths paths(Path state, String namespace, String name) {
        Path dir = state.resolve("sandboxes").resolve(namespace).resolve(name);
        return new Paths(dir, dir.resolve("hosts"), dir.resolve("hostname"), dir.resolve("resolv.conf"));
    }

    /** The managed hosts file: loopback, {@code ips} under {@code hostname}, then the aliases. */
    public static String hosts(String hostname, List<String> ips, List<HostEntry> aliases) {
        StringBuilder b = new StringBuilder("# Berth-managed hosts file (Sandbox spec.hostname, status.ips, spec.hostAliases).\n");
        b.append("127.0.0.1\tlocalhost\n");
        b.append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        b.append("fe00::0\tip6-localnet\n");
        b.append("fe00::0\tip6-mcastprefix\n");
        b.append("fe00::1\tip6-allnodes\n");
        b.append("fe00::2\tip6-allrouters\n");
        for (String ip : ips) {
            b.append(ip).append('\t').append(hostname).append('\n');
        }
        if (!aliases.isEmpty()) {
            b.append("\n# Entries from spec.hostAliases.\n");
            for (HostEntry a : aliases) {
                b.append(a.ip()).append('\t').append(String.join("\t", a.names())).append('\n');
            }
        }
        return b.toString();
    }

    /**
     * The sandbox's resolv.conf: the host's {@code nameserver}, {@code search} and {@code options}
     * lines with {@code extra} merged in as kubelet merges a pod's dnsConfig (nameservers and
     * searches appended without duplicates, options by name with the sandbox's value winning),
     * nameservers capped at three. A host file naming only loopback resolvers (a local stub such
     * as systemd-resolved's 127.0.0.53, unreachable from the sandbox's own loopback) is replaced
     * by {@code upstream} when that text is given.
     */
    public static String resolvConf(String hostText, String upstream, Dns extra) {
        Parsed host = parse(hostText);
        if (upstream != null && !host.nameservers.isEmpty() && host.nameservers.stream().allMatch(SandboxFiles::loopback)) {
            host = parse(upstream);
        }
        Set<String> ns = new LinkedHashSet<>(host.nameservers);
        ns.addAll(extra.nameservers());
        Set<String> search = new LinkedHashSet<>(host.searches);
        search.addAll(extra.searches());
        Map<String, String> opts = new LinkedHashMap<>();
        for (String o : host.options) {
            opts.put(optionName(o), o);
        }
        for (String o : extra.options()) {
            opts.put(optionName(o), o);
        }
        StringBuilder b = new StringBuilder("# Berth-managed resolv.conf: the host's, with the Sandbox's spec.dns merged in.\n");
        ns.stream().limit(MAX_NAMESERVERS).forEach(n -> b.append("nameserver ").append(n).append('\n'));
        if (!search.isEmpty()) {
            b.append("search ").append(String.join(" ", search)).append('\n');
        }
        if (!opts.isEmpty()) {
            b.append("options ").append(String.join(" ", opts.values())).append('\n');
        }
        return b.toString();
    }

    /**
     * Writes the three files for a sandbox, reading the host's {@code /etc/resolv.conf}; returns
     * their paths. Idempotent.
     */
    public static Paths write(Path state, String namespace, String name, String hostname, List<String> ips,
            List<HostEntry> aliases, Dns dns) {
        Paths p = paths(state, namespace, name);
        try {
            String host = readIfPresent(Path.of("/etc/resolv.conf"));
            String upstream = readIfPresent(RESOLVED_UPSTREAM);
            Files.createDirectories(p.dir());
            replace(p.hosts(), hosts(hostname, ips, aliases));
            replace(p.hostname(), hostname + "\n");
            replace(p.resolvConf(), resolvConf(host == null ? "" : host, upstream, dns));
            return p;
        } catch (IOException e) {
            throw BerthException.unavailable("cannot write the files of sandbox %s/%s in %s: %s", namespace, name,
                    p.dir(), e.getMessage());
        }
    }

    /** Removes a sandbox's files and directory. Idempotent. */
    public static void remove(Path state, String namespace, String name) {
        Paths p = paths(state, namespace, name);
        try {
            for (Path f : List.of(p.hosts(), p.hostname(), p.resolvConf())) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(p.dir());
        } catch (IOException e) {
            throw BerthException.unavailable("cannot remove the files of sandbox %s/%s in %s: %s", namespace, name,
                    p.dir(), e.getMessage());
        }
    }

    private static String readIfPresent(Path p) throws IOException {
        return Files.isReadable(p) ? Files.readString(p, StandardCharsets.UTF_8) : null;
    }

    private static void replace(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private record Parsed(List<String> nameservers, List<String> searches, List<String> options) {
    }

    private static Parsed parse(String text) {
        List<String> ns = new ArrayList<>();
        List<String> search = new ArrayList<>();
        List<String> opts = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
                continue;
            }
            String[] f = l.split("\\s+");
            switch (f[0]) {
                case "nameserver" -> {
                    if (f.length > 1) {
                        ns.add(f[1]);
                    }
                }
                // as in the resolver, the last search (or domain) line wins
                case "search", "domain" -> {
                    search.clear();
                    search.addAll(List.of(f).subList(1, f.length));
                }
                case "options" -> opts.addAll(List.of(f).subList(1, f.length));
                default -> {
                }
            }
        }
        return new Parsed(ns, search, opts);
    }

    private static String optionName(String option) {
        int colon = option.indexOf(':');
        return colon < 0 ? option : option.substring(0, colon);
    }

    private static boolean loopback(String ip) {
        return ip.startsWith("127.") || ip.equals("::1");
    }
}
