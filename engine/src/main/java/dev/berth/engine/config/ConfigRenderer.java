package dev.berth.engine.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a {@link Config} as a commented config.toml in containerd's version 3 layout: every setting
 * of the schema with its documentation, grouped by table. {@code berth config default} renders the
 * defaults, {@code berth config dump} the effective values; both load back to the same values.
 * Thread-safe.
 */
public final class ConfigRenderer {
    private final List<Setting<?>> schema;

    public ConfigRenderer(List<Setting<?>> schema) {
        this.schema = List.copyOf(schema);
    }

    public String render(Config config, String header) {
        Map<List<String>, List<Setting<?>>> tables =
                new TreeMap<>(Comparator.comparing(ConfigLoader::render));
        tables.put(List.of(), new ArrayList<>());
        for (Setting<?> s : schema) {
            List<String> path = s.path(3);
            tables.computeIfAbsent(path.subList(0, path.size() - 1), k -> new ArrayList<>()).add(s);
        }
        StringBuilder out = new StringBuilder();
        for (String line : header.split("\n")) {
            out.append("# ").append(line).append('\n');
        }
        out.append("version = 3\n");
        for (Map.Entry<List<String>, List<Setting<?>>> t : tables.entrySet()) {
            String indent = "";
            if (!t.getKey().isEmpty()) {
                out.append("\n[").append(ConfigLoader.render(t.getKey())).append("]\n");
                indent = "  ";
            }
            for (Setting<?> s : t.getValue()) {
                out.append('\n');
                for (String line : s.doc().split("\n")) {
                    out.append(indent).append("# ").append(line).append('\n');
                }
                out.append(indent).append(s.path(3).get(s.path(3).size() - 1)).append(" = ")
                        .append(literal(s, config)).append('\n');
            }
        }
        return out.toString();
    }

    private static <T> String literal(Setting<T> s, Config config) {
        return s.type().toToml(config.get(s));
    }
}
