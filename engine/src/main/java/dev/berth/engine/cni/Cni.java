package dev.berth.engine.cni;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.sys.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs CNI plugin chains (the runtime side of the CNI specification): ADD each plugin in order with
 * the previous result as {@code prevResult}, CHECK each in order with the cached result, DEL each
 * in reverse order with it. Plugin binaries are looked up in the bin directories in order (config
 * {@code bin_dir}, then Debian's {@code /usr/lib/cni}); every plugin gets {@code CNI_PATH} set to
 * all of them, so delegated IPAM plugins are found the same way.
 *
 * <p>Every attachment goes through the {@link ResultCache}: written before ADD, completed with the
 * result after it, removed after a successful DEL. DEL of an attachment uses the cached
 * configuration and arguments when there are any, whatever the conf_dir says now.
 *
 * <p>Thread-safe; ADD/DEL of distinct attachments may run at once (the plugins lock their own
 * state). DEL is idempotent, as the specification requires of plugins.
 */
public final class Cni {
    /** How long one plugin may run. */
    public static final Duration PLUGIN_TIMEOUT = Duration.ofMinutes(2);
    private final List<Path> binDirs;
    private final ResultCache cache;
    private final RuleDump rules;
    private final PluginProbes probes;

    public Cni(List<Path> binDirs, ResultCache cache) {
        this(binDirs, cache, new RuleDump());
    }

    /** A runtime sharing {@code rules} (the iptables dump of the probes) with other instances. */
    public Cni(List<Path> binDirs, ResultCache cache, RuleDump rules) {
        this.binDirs = List.copyOf(binDirs);
        this.cache = cache;
        this.rules = rules;
        this.probes = new PluginProbes(rules, Path.of("/sys/class/net"), Path.of("/proc/sys/net/ipv4"));
    }

    /** The result cache this runtime keeps. */
    public ResultCache cache() {
        return cache;
    }

    /**
     * ADD of {@code a} to {@code list}. On failure the plugins that ran are undone (DEL of the
     * chain), as containerd defers its teardown, and the error names the plugin, file and fix.
     */
    public CniResult add(NetworkConfigList list, Attachment a) {
        for (ObjectNode p : list.plugins()) {
            binary(list, p.path("type").asString());
        }
        cache.put(list, a, null);
        ObjectNode prev = null;
        rules.changed();
        try {
            for (ObjectNode p : list.plugins()) {
                prev = exec("ADD", list, p, a, prev).orElseThrow(() -> BerthException.unavailable(
                        "CNI plugin %s of network %s returned no result for ADD", p.path("type").asString(), list.name()));
            }
        } catch (RuntimeException e) {
            try {
                del(list, a);
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        } finally {
            rules.changed();
        }
        CniResult r = CniResult.of(prev);
        cache.put(list, a, r);
        return r;
    }

    /**
     * CHECK of the cached attachment {@code a} on {@code list}: each plugin verifies that what it
     * made is still there. Fails (with the plugin's message) when something drifted; a list whose
     * version has no CHECK, or that disables it, passes. Debian's portmap 1.1.1 fails CHECK on every
     * IPv4-only attachment ("could not check ipv6 dnat"), so its work is probed instead (its DNAT
     * rules name the container, see {@link PluginProbes}).
     */
    public void check(NetworkConfigList list, Attachment a, CniResult result) {
        if (!list.supportsCheck()) {
            return;
        }
        for (ObjectNode p : list.plugins()) {
            if (p.path("type").asString().equals("portmap") && PluginProbes.covers(p, result)) {
                probes.probe(list, p, a, result, 0, true);
                continue;
            }
            exec("CHECK", list, p, a, result.json());
        }
    }

    /**
     * The cheap form of {@link #check}: the plugins Berth knows (bridge, loopback, portmap, firewall
     * with iptables) are verified by {@link PluginProbes} from {@code /sys}, {@code /proc/<pid>/net}
     * of {@code pid} (a process in the attachment's namespace) and one iptables dump shared by all
     * attachments, without a process per plugin; every other plugin still gets its CHECK. Same
     * failures and passes as {@link #check} for what it verifies.
     */
    public void look(NetworkConfigList list, Attachment a, CniResult result, long pid) {
        if (!list.supportsCheck()) {
            return;
        }
        for (ObjectNode p : list.plugins()) {
            if (!PluginProbes.covers(p, result) || !probes.probe(list, p, a, result, pid, false)) {
                exec("CHECK", list, p, a, result.json());
            }
        }
    }

    /**
     * DEL of {@code a} from {@code list} (the cached list and attachment when the cache has them),
     * in reverse order; every plugin runs even when one fails, the first failure is thrown and the
     * cache entry kept so a later DEL retries. Idempotent.
     */
    public void del(NetworkConfigList list, Attachment a) {
        ResultCache.Entry cached = cache.of(a.containerId()).stream()
                .filter(e -> e.list().name().equals(list.name()) && e.attachment().ifName().equals(a.ifName()))
                .findFirst().orElse(null);
        del(cached != null ? cached : new ResultCache.Entry(list, a, Optional.empty()));
    }

    /**
     * DEL of one cached entry (after a restart, from {@link ResultCache#of}). When the entry's
     * netns is no longer a namespace (unmounted, deleted, or a reboot emptied the state directory)
     * the DEL goes without one: a path that is not a namespace would make bridge fail before it
     * releases anything, and the address would leak.
     */
    public void del(ResultCache.Entry e) {
        if (e.attachment().netns() != null && !dev.berth.engine.netns.NetNamespaces.isPinned(e.attachment().netns())) {
            e = new ResultCache.Entry(e.list(), e.attachment().withoutNetns(), e.result());
        }
        NetworkConfigList list = e.list();
        ObjectNode prev = e.result().map(CniResult::json).orElse(null);
        RuntimeException first = null;
        List<ObjectNode> reversed = new ArrayList<>(list.plugins());
        java.util.Collections.reverse(reversed);
        rules.changed();
        for (ObjectNode p : reversed) {
            try {
                exec("DEL", list, p, e.attachment(), list.cniVersion().startsWith("0.3.") ? null : prev);
            } catch (RuntimeException ex) {
                if (first == null) {
                    first = ex;
                } else {
                    first.addSuppressed(ex);
                }
            }
        }
        rules.changed();
        if (first != null) {
            throw first;
        }
        cache.remove(list.name(), e.attachment());
    }

    /** The path of plugin {@code type}, or a NOT_FOUND naming the directories searched and the fix. */
    Path binary(NetworkConfigList list, String type) {
        if (type.contains("/") || type.startsWith(".")) {
            throw BerthException.invalid("CNI network %s (%s): plugin type \"%s\" must be a plain binary name", list.name(),
                    where(list), type);
        }
        for (Path d : binDirs) {
            Path b = d.resolve(type);
            if (Files.isExecutable(b) && Files.isRegularFile(b)) {
                return b;
            }
        }
        throw BerthException.notFound("CNI plugin \"%s\" of network %s (%s) is not in %s; install Debian's"
                + " containernetworking-plugins or set cni bin_dir in config.toml (plugins.\"io.containerd.grpc.v1.cri\".cni)",
                type, list.name(), where(list), binDirs);
    }

    private Optional<ObjectNode> exec(String command, NetworkConfigList list, ObjectNode plugin, Attachment a,
            ObjectNode prevResult) {
        String type = plugin.path("type").asString();
        Path bin = binary(list, type);
        ObjectNode conf = plugin.deepCopy();
        conf.put("name", list.name());
        conf.put("cniVersion", list.cniVersion());
        ObjectNode rc = runtimeConfig(plugin, a.capabilityArgs());
        if (rc != null) {
            conf.set("runtimeConfig", rc);
        } else {
            conf.remove("runtimeConfig");
        }
        if (prevResult != null) {
            conf.set("prevResult", prevResult);
        } else {
            conf.remove("prevResult");
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", a.containerId());
        env.put("CNI_NETNS", a.netnsValue());
        env.put("CNI_IFNAME", a.ifName());
        env.put("CNI_ARGS", a.cniArgs());
        env.put("CNI_PATH", String.join(":", binDirs.stream().map(Path::toString).toList()));
        // plugins run iptables, ip and friends by name (portmap, firewall)
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        Processes.Result r = Processes.run(List.of(bin.toString()), env, CniJson.MAPPER.writeValueAsBytes(conf),
                PLUGIN_TIMEOUT);
        if (!r.ok()) {
            throw failure(command, list, type, a, r);
        }
        if (!command.equals("ADD") || r.stdout().isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode out = CniJson.MAPPER.readTree(r.stdout());
            if (out instanceof ObjectNode o) {
                return Optional.of(o);
            }
        } catch (JacksonException e) {
            // reported below with the output
        }
        throw BerthException.unavailable("CNI plugin %s of network %s (%s) printed no JSON result for ADD of %s: %s",
                type, list.name(), where(list), a.containerId(), r.stdout().strip());
    }

    /** The capability arguments {@code plugin} declares in {@code capabilities}, or null when none. */
    static ObjectNode runtimeConfig(ObjectNode plugin, Map<String, Object> capabilityArgs) {
        JsonNode caps = plugin.path("capabilities");
        ObjectNode rc = null;
        for (Map.Entry<String, Object> e : capabilityArgs.entrySet()) {
            if (caps.path(e.getKey()).asBoolean(false)) {
                if (rc == null) {
                    rc = CniJson.MAPPER.createObjectNode();
                }
                rc.set(e.getKey(), CniJson.MAPPER.valueToTree(e.getValue()));
            }
        }
        return rc;
    }

    private static BerthException failure(String command, NetworkConfigList list, String type, Attachment a,
            Processes.Result r) {
        String msg = r.stderr().strip();
        try {
            JsonNode err = CniJson.MAPPER.readTree(r.stdout());
            if (err.has("msg") || err.has("code")) {
                msg = "code " + err.path("code").asInt() + ": " + err.path("msg").asString("")
                        + (err.path("details").asString("").isEmpty() ? "" : " (" + err.path("details").asString() + ")")
                        + (msg.isEmpty() ? "" : "; stderr: " + msg);
            }
        } catch (JacksonException e) {
            msg = (r.stdout().strip() + " " + msg).strip();
        }
        return new BerthException(ErrorCategory.UNAVAILABLE, "CNI plugin " + type + " of network " + list.name() + " ("
                + where(list) + ") failed " + command + " for " + a.containerId() + " in "
                + (a.netns() == null ? "(no netns)" : a.netns()) + ": " + msg, null);
    }

    static String where(NetworkConfigList list) {
        return list.source() == null ? "cached configuration" : list.source().toString();
    }
}
