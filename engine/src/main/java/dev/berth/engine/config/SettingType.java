package dev.berth.engine.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tomlj.TomlArray;

/**
 * The value types a {@link Setting} can have, with their TOML reading and writing. Durations use
 * containerd's (Go) notation: {@code "100ms"}, {@code "5m"}, {@code "1h30m"}. Immutable.
 */
public abstract class SettingType<T> {
    private final String description;

    private SettingType(String description) {
        this.description = description;
    }

    /** How the expected form is named in error messages, e.g. "a boolean (true or false)". */
    public String description() {
        return description;
    }

    /**
     * Converts a raw tomlj value, or returns null when the TOML type is wrong. May throw
     * {@link IllegalArgumentException} with a reason when the type is right but the value is not.
     */
    abstract T fromToml(Object raw);

    /** Renders a value as a TOML literal. */
    abstract String toToml(T value);

    public static final SettingType<String> STRING = new SettingType<>("a string") {
        @Override
        String fromToml(Object raw) {
            return raw instanceof String s ? s : null;
        }

        @Override
        String toToml(String value) {
            return quote(value);
        }
    };

    public static final SettingType<Boolean> BOOLEAN = new SettingType<>("a boolean (true or false, unquoted)") {
        @Override
        Boolean fromToml(Object raw) {
            return raw instanceof Boolean b ? b : null;
        }

        @Override
        String toToml(Boolean value) {
            return value.toString();
        }
    };

    public static final SettingType<Long> INTEGER = new SettingType<>("an integer") {
        @Override
        Long fromToml(Object raw) {
            return raw instanceof Long l ? l : null;
        }

        @Override
        String toToml(Long value) {
            return value.toString();
        }
    };

    public static final SettingType<Double> FLOAT = new SettingType<>("a number") {
        @Override
        Double fromToml(Object raw) {
            if (raw instanceof Double d) {
                return d;
            }
            return raw instanceof Long l ? l.doubleValue() : null;
        }

        @Override
        String toToml(Double value) {
            return value.toString();
        }
    };

    public static final SettingType<Duration> DURATION =
            new SettingType<>("a duration string such as \"100ms\", \"30s\", \"5m\" or \"1h30m\"") {
                @Override
                Duration fromToml(Object raw) {
                    return raw instanceof String s ? parseDuration(s) : null;
                }

                @Override
                String toToml(Duration value) {
                    return quote(formatDuration(value));
                }
            };

    public static final SettingType<List<String>> STRING_LIST = new SettingType<>("an array of strings") {
        @Override
        List<String> fromToml(Object raw) {
            if (!(raw instanceof TomlArray a)) {
                return null;
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                if (!(a.get(i) instanceof String s)) {
                    return null;
                }
                out.add(s);
            }
            return List.copyOf(out);
        }

        @Override
        String toToml(List<String> value) {
            List<String> q = new ArrayList<>();
            value.forEach(v -> q.add(quote(v)));
            return "[" + String.join(", ", q) + "]";
        }
    };

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    /** Parses Go duration notation; throws IllegalArgumentException naming the accepted form. */
    public static Duration parseDuration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION_PART.matcher(t);
        int pos = 0;
        long nanos = 0;
        while (m.find() && m.start() == pos) {
            double n = Double.parseDouble(m.group(1));
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            nanos += (long) (n * unit);
            pos = m.end();
        }
        if (pos != t.length() || t.isEmpty()) {
            throw new IllegalArgumentException("\"" + s + "\" is not a duration");
        }
        return Duration.ofNanos(nanos);
    }

    /** Formats a duration in Go notation, the inverse of {@link #parseDuration}. */
    public static String formatDuration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        long nanos = d.toNanos();
        StringBuilder sb = new StringBuilder();
        long h = nanos / 3_600_000_000_000L;
        nanos %= 3_600_000_000_000L;
        long m = nanos / 60_000_000_000L;
        nanos %= 60_000_000_000L;
        long s = nanos / 1_000_000_000L;
        nanos %= 1_000_000_000L;
        if (h > 0) {
            sb.append(h).append('h');
        }
        if (m > 0) {
            sb.append(m).append('m');
        }
        if (s > 0) {
            sb.append(s).append('s');
        }
        if (nanos > 0) {
            if (nanos % 1_000_000 == 0) {
                sb.append(nanos / 1_000_000).append("ms");
            } else {
                sb.append(nanos).append("ns");
            }
        }
        return sb.toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
