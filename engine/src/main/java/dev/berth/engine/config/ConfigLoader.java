package dev.berth.engine.config;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tomlj.Toml;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads containerd-style config.toml files (layout version 2 or 3) into a {@link Config}.
 *
 * <p>Rules: a key Berth knows is type-checked and validated, and a bad one fails the load with the
 * file, line and expected form. A key containerd knows but Berth does not use is accepted silently
 * (so a real containerd config loads cleanly). Any other key is reported as a warning naming it and
 * its line, and ignored. A file without {@code version} is read as version 2 when it has the version
 * 2 CRI section ({@code plugins."io.containerd.grpc.v1.cri"}), else as version 3. Thread-safe.
 */
public final class ConfigLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);
    private static final String V2_CRI = "io.containerd.grpc.v1.cri";

    private final List<Setting<?>> schema;
    private final Set<String> containerdKeys;

    public ConfigLoader(List<Setting<?>> schema) {
        this.schema = List.copyOf(schema);
        this.containerdKeys = readContainerdKeys();
    }

    public List<Setting<?>> schema() {
        return schema;
    }

    /** Loads {@code file}; fails with NOT_FOUND when it does not exist. */
    public Config load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BerthException(ErrorCategory.NOT_FOUND, "config file " + file + " does not exist; "
                    + "create one with `berth config default > " + file + "` or pass --config");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file);
    }

    /** Parses config text; {@code source} names it in messages (null for built-in text). */
    public Config parse(String text, Path source) {
        String where = source == null ? "<config>" : source.toString();
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError e = toml.errors().get(0);
            throw new ConfigException(where + ":" + e.position().line() + ":" + e.position().column()
                    + ": not valid TOML: " + e.getMessage());
        }
        int version = version(toml, where);
        Map<Setting<?>, Object> values = new IdentityHashMap<>();
        Map<Setting<?>, Boolean> fromFile = new IdentityHashMap<>();
        Map<String, Setting<?>> byPath = new HashMap<>();
        Map<String, Setting<?>> otherLayout = new HashMap<>();
        for (Setting<?> s : schema) {
            byPath.put(render(s.path(version)), s);
            otherLayout.put(render(s.path(version == 2 ? 3 : 2)), s);
            if (toml.contains(s.path(version))) {
                values.put(s, read(s, toml, s.path(version), where));
                fromFile.put(s, true);
            }
        }
        List<String> warnings = new ArrayList<>();
        for (List<String> path : toml.keyPathSet()) {
            String key = render(path);
            if (key.equals("version") || byPath.containsKey(key)) {
                continue;
            }
            TomlPosition pos = toml.inputPositionOf(path);
            String at = where + ":" + (pos == null ? "?" : pos.line());
            Setting<?> moved = otherLayout.get(key);
            if (moved != null) {
                warnings.add(at + ": key " + key + " is where config version " + (version == 2 ? 3 : 2)
                        + " keeps " + moved.name() + "; this file is version " + version + ", so write it as "
                        + render(moved.path(version)) + " (ignored)");
            } else if (!containerdKeys.contains(normalise(path))) {
                warnings.add(at + ": unknown key " + key + " (ignored)");
            }
        }
        warnings.forEach(LOG::warn);
        return new Config(source, version, values, fromFile, warnings);
    }

    private int version(TomlParseResult toml, String where) {
        if (!toml.contains("version")) {
            TomlTable plugins = toml.getTable("plugins");
            return plugins != null && plugins.contains(List.of(V2_CRI)) ? 2 : 3;
        }
        Object v = toml.get("version");
        if (v instanceof Long l && (l == 2 || l == 3)) {
            return l.intValue();
        }
        TomlPosition pos = toml.inputPositionOf("version");
        throw new ConfigException(where + ":" + pos.line() + ": version = " + v
                + " is not supported; Berth reads containerd config layouts version = 2 and version = 3");
    }

    private static <T> T read(Setting<T> s, TomlParseResult toml, List<String> path, String where) {
        Object raw = toml.get(path);
        TomlPosition pos = toml.inputPositionOf(path);
        String at = where + ":" + (pos == null ? "?" : pos.line()) + ": " + render(path);
        T value;
        try {
            value = s.type().fromToml(raw);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + ": " + e.getMessage() + "; expected " + s.type().description());
        }
        if (value == null) {
            throw new ConfigException(at + " = " + literal(raw) + " has the wrong type; expected "
                    + s.type().description());
        }
        String problem = s.validate(value);
        if (problem != null) {
            throw new ConfigException(at + " = " + literal(raw) + ": " + problem);
        }
        return value;
    }

    private static String literal(Object raw) {
        return raw instanceof String str ? SettingType.quote(str) : String.valueOf(raw);
    }

    /** Renders a key path in TOML dotted form, quoting segments that need it. */
    public static String render(List<String> path) {
        List<String> parts = new ArrayList<>();
        for (String p : path) {
            parts.add(p.matches("[A-Za-z0-9_-]+") ? p : SettingType.quote(p));
        }
        return String.join(".", parts);
    }

    /** The form used in containerd-keys.txt: runtime names replaced by {@code *}. */
    static String normalise(List<String> path) {
        List<String> p = new ArrayList<>(path);
        for (int i = 0; i + 1 < p.size(); i++) {
            if (p.get(i).equals("runtimes")) {
                p.set(i + 1, "*");
            }
        }
        return render(p);
    }

    private static Set<String> readContainerdKeys() {
        Set<String> keys = new HashSet<>();
        try (InputStream in = ConfigLoader.class.getResourceAsStream("containerd-keys.txt")) {
            if (in == null) {
                throw new IllegalStateException("containerd-keys.txt missing from the engine jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.strip();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    keys.add(line);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("reading containerd-keys.txt", e);
        }
        return keys;
    }
}
