package dev.berth.engine.config;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One configuration key: its type, default, documentation, and where it lives in containerd's
 * config.toml version 2 and version 3 layouts. Components declare their settings as constants next
 * to their own code (e.g. {@code RemoteSettings.MAX_CONCURRENT_DOWNLOADS}); the loader, {@code berth
 * config default} and {@code berth config dump} all read from those declarations, so each default is
 * written exactly once. Immutable and thread-safe.
 *
 * @param <T> the Java type of the value
 */
public final class Setting<T> {
    /** Berth's own plugin section, the same in both layouts. */
    public static final String BERTH_SECTION = "dev.berth.v1";

    private final String name;
    private final SettingType<T> type;
    private final T defaultValue;
    private final String doc;
    private final List<String> v2Path;
    private final List<String> v3Path;
    private final Function<T, String> validator;

    private Setting(Builder<T> b) {
        this.name = Objects.requireNonNull(b.name, "name");
        this.type = Objects.requireNonNull(b.type, "type");
        this.defaultValue = Objects.requireNonNull(b.defaultValue, "default of " + b.name);
        this.doc = Objects.requireNonNull(b.doc, "doc of " + b.name);
        this.v2Path = List.copyOf(Objects.requireNonNull(b.v2Path, "v2 path of " + b.name));
        this.v3Path = List.copyOf(Objects.requireNonNull(b.v3Path, "v3 path of " + b.name));
        this.validator = b.validator;
        String problem = validate(defaultValue);
        if (problem != null) {
            throw new IllegalArgumentException("default of " + name + " is invalid: " + problem);
        }
    }

    /** Starts a setting stored at the same path in both layouts. */
    public static <T> Builder<T> at(SettingType<T> type, String... path) {
        Builder<T> b = new Builder<>(type);
        b.v2Path = List.of(path);
        b.v3Path = List.of(path);
        b.name = ConfigLoader.render(List.of(path));
        return b;
    }

    /** Starts a setting in Berth's own section {@code [plugins."dev.berth.v1"]}. */
    public static <T> Builder<T> berth(SettingType<T> type, String key) {
        return at(type, "plugins", BERTH_SECTION, key);
    }

    /** Starts a setting whose location differs between version 2 and version 3. */
    public static <T> Builder<T> moved(SettingType<T> type, List<String> v2Path, List<String> v3Path) {
        Builder<T> b = new Builder<>(type);
        b.v2Path = v2Path;
        b.v3Path = v3Path;
        b.name = ConfigLoader.render(v3Path);
        return b;
    }

    public String name() {
        return name;
    }

    public SettingType<T> type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public String doc() {
        return doc;
    }

    /** The key path in the given config layout version (2 or 3). */
    public List<String> path(int version) {
        return version == 2 ? v2Path : v3Path;
    }

    /** Null when acceptable, else why not. */
    public String validate(T value) {
        return validator == null ? null : validator.apply(value);
    }

    @Override
    public String toString() {
        return name;
    }

    /** Builds a {@link Setting}; validates eagerly when built. Not thread-safe. */
    public static final class Builder<T> {
        private final SettingType<T> type;
        private String name;
        private T defaultValue;
        private String doc;
        private List<String> v2Path;
        private List<String> v3Path;
        private Function<T, String> validator;

        private Builder(SettingType<T> type) {
            this.type = type;
        }

        public Builder<T> defaultValue(T value) {
            this.defaultValue = value;
            return this;
        }

        public Builder<T> doc(String doc) {
            this.doc = doc;
            return this;
        }

        /** A check returning null when the value is acceptable, else the reason and the accepted form. */
        public Builder<T> validator(Function<T, String> validator) {
            this.validator = validator;
            return this;
        }

        public Setting<T> build() {
            return new Setting<>(this);
        }
    }

    /** A validator accepting only the listed values. */
    public static Function<String, String> oneOf(String... allowed) {
        List<String> ok = List.of(allowed);
        return v -> ok.contains(v) ? null : "must be one of " + String.join(", ", ok);
    }

    /** A validator for integers of at least {@code min}. */
    public static Function<Long, String> atLeast(long min) {
        return v -> v >= min ? null : "must be at least " + min;
    }
}
