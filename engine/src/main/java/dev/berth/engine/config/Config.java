package dev.berth.engine.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The effective configuration: every known {@link Setting} resolved from the file, or from its
 * default when the file does not set it. Immutable and thread-safe.
 */
public final class Config {
    private final Path source;
    private final int version;
    private final Map<Setting<?>, Object> values;
    private final Map<Setting<?>, Boolean> fromFile;
    private final List<String> warnings;

    Config(Path source, int version, Map<Setting<?>, Object> values, Map<Setting<?>, Boolean> fromFile,
            List<String> warnings) {
        this.source = source;
        this.version = version;
        this.values = Collections.unmodifiableMap(new IdentityHashMap<>(values));
        this.fromFile = Collections.unmodifiableMap(new IdentityHashMap<>(fromFile));
        this.warnings = List.copyOf(warnings);
    }

    /** A configuration made of defaults only. */
    public static Config defaults() {
        return new Config(null, 3, Map.of(), Map.of(), List.of());
    }

    /** The file this came from, if any. */
    public Optional<Path> source() {
        return Optional.ofNullable(source);
    }

    /** The layout version the file used (2 or 3). */
    public int version() {
        return version;
    }

    /** The value of {@code setting}: from the file when set there, else its default. */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        Object v = values.get(setting);
        return v == null ? setting.defaultValue() : (T) v;
    }

    /** Whether the file set this key explicitly. */
    public boolean isSet(Setting<?> setting) {
        return fromFile.getOrDefault(setting, false);
    }

    /** Returns a copy with {@code setting} overridden (for tests and command-line flags). */
    public <T> Config with(Setting<T> setting, T value) {
        String problem = setting.validate(value);
        if (problem != null) {
            throw new ConfigException(setting.name() + ": " + problem);
        }
        Map<Setting<?>, Object> v = new IdentityHashMap<>(values);
        v.put(setting, value);
        Map<Setting<?>, Boolean> f = new IdentityHashMap<>(fromFile);
        f.put(setting, true);
        return new Config(source, version, v, f, warnings);
    }

    /** Returns a copy with {@code setting} as {@code other} has it (value, and whether its file set it). */
    public <T> Config withValueOf(Setting<T> setting, Config other) {
        Map<Setting<?>, Object> v = new IdentityHashMap<>(values);
        if (other.values.containsKey(setting)) {
            v.put(setting, other.values.get(setting));
        } else {
            v.remove(setting);
        }
        Map<Setting<?>, Boolean> f = new IdentityHashMap<>(fromFile);
        f.put(setting, other.isSet(setting));
        return new Config(source, version, v, f, warnings);
    }

    /** Warnings from loading (unknown keys, keys in the other layout's place). */
    public List<String> warnings() {
        return warnings;
    }
}
