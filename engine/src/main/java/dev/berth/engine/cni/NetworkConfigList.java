package dev.berth.engine.cni;

import dev.berth.engine.errdefs.BerthException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One network configuration list: the network's {@code name} and {@code cniVersion}, and its
 * plugins in chain order (each a JSON object with at least a {@code type}). Immutable; the plugin
 * objects are copies and never handed out for modification.
 *
 * @param name the network name (the host-local IPAM's directory, part of the result cache key)
 * @param cniVersion the version every plugin in the list is spoken to with
 * @param disableCheck whether the list opts out of CHECK
 * @param plugins the plugin configurations, in ADD order
 * @param source the file the list was read from (for messages), or null
 * @param bytes the file's exact bytes, cached with a result so a DEL sends what the ADD used
 */
public record NetworkConfigList(String name, String cniVersion, boolean disableCheck, List<ObjectNode> plugins,
        Path source, byte[] bytes) {
    /** The versions whose protocol this runtime speaks (Debian's plugins 1.1.1 accept all of them). */
    public static final Set<String> VERSIONS = Set.of("1.0.0", "0.4.0", "0.3.1", "0.3.0");
    private static final Pattern NETWORK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");

    public NetworkConfigList {
        plugins = plugins.stream().map(ObjectNode::deepCopy).toList();
    }

    /** Whether CHECK exists in this list's version (0.4.0 introduced it). */
    public boolean supportsCheck() {
        return !disableCheck && !cniVersion.startsWith("0.3.");
    }

    /** Reads a {@code .conflist} (or a single-plugin {@code .conf}/{@code .json}) file. */
    public static NetworkConfigList read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw BerthException.unavailable("cannot read CNI network configuration %s: %s", file, e.getMessage());
        }
        return parse(bytes, file);
    }

    /**
     * Parses {@code bytes}; a file ending in {@code .conf} or {@code .json} holds one plugin (its
     * {@code name} and {@code cniVersion} are the network's), anything else is a list.
     */
    public static NetworkConfigList parse(byte[] bytes, Path source) {
        String where = source == null ? "CNI network configuration" : "CNI network configuration " + source;
        JsonNode root;
        try {
            root = CniJson.MAPPER.readTree(bytes);
        } catch (JacksonException e) {
            throw BerthException.invalid("%s is not valid JSON: %s; fix the file or remove it", where,
                    e.getOriginalMessage());
        }
        if (!(root instanceof ObjectNode obj)) {
            throw BerthException.invalid("%s is not a JSON object; fix the file or remove it", where);
        }
        String file = source == null ? "" : source.getFileName().toString();
        boolean single = file.endsWith(".conf") || file.endsWith(".json") || !obj.has("plugins") && obj.has("type");
        String name = obj.path("name").asString("");
        String version = obj.path("cniVersion").asString("");
        if (!NETWORK_NAME.matcher(name).matches()) {
            throw BerthException.invalid("%s: \"name\" must be a network name (letters, digits, '_', '.', '-'), got \"%s\"",
                    where, name);
        }
        if (!VERSIONS.contains(version)) {
            throw BerthException.invalid("%s: \"cniVersion\" \"%s\" is not one Berth speaks (%s)", where, version,
                    String.join(", ", VERSIONS.stream().sorted().toList()));
        }
        List<ObjectNode> plugins = new ArrayList<>();
        if (single) {
            plugins.add(obj);
        } else {
            JsonNode list = obj.path("plugins");
            if (!list.isArray() || list.isEmpty()) {
                throw BerthException.invalid("%s: \"plugins\" must be a non-empty array of plugin objects", where);
            }
            for (int i = 0; i < list.size(); i++) {
                if (!(list.get(i) instanceof ObjectNode p)) {
                    throw BerthException.invalid("%s: plugins[%d] is not an object", where, i);
                }
                plugins.add(p);
            }
        }
        for (int i = 0; i < plugins.size(); i++) {
            if (plugins.get(i).path("type").asString("").isEmpty()) {
                throw BerthException.invalid("%s: plugins[%d] has no \"type\" (the plugin binary's name)", where, i);
            }
        }
        return new NetworkConfigList(name, version, obj.path("disableCheck").asBoolean(false), plugins, source,
                bytes.clone());
    }

    /**
     * The list in force in {@code confDir}: as containerd (max_conf_num 1), the lexically first
     * {@code *.conflist}, {@code *.conf} or {@code *.json} file. A file that does not parse is an
     * error naming it, never skipped in favour of another network.
     */
    public static NetworkConfigList load(Path confDir) {
        List<Path> files = files(confDir);
        if (files.isEmpty()) {
            throw BerthException.notFound("no CNI network configuration in %s (conf_dir in config.toml); add a"
                    + " .conflist there (bin/quickstart installs a default bridge network, docs/networking.md shows"
                    + " one) or use spec.network: Host or None", confDir);
        }
        return read(files.get(0));
    }

    /** The configuration files in {@code confDir}, in the order containerd considers them. */
    public static List<Path> files(Path confDir) {
        if (!Files.isDirectory(confDir)) {
            return List.of();
        }
        try (var s = Files.list(confDir)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString();
                return !n.startsWith(".") && (n.endsWith(".conflist") || n.endsWith(".conf") || n.endsWith(".json"));
            }).sorted().toList();
        } catch (IOException e) {
            throw BerthException.unavailable("cannot list CNI conf_dir %s: %s", confDir, e.getMessage());
        }
    }
}
