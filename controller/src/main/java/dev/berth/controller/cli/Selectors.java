package dev.berth.controller.cli;

import dev.berth.engine.errdefs.BerthException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * kubectl's {@code -l} label selectors ({@code k=v}, {@code k==v}, {@code k!=v}, {@code k},
 * {@code !k}, comma = and) and {@code --field-selector} ({@code status.phase},
 * {@code metadata.name}, {@code metadata.namespace} with {@code =}, {@code ==}, {@code !=}), applied
 * to API objects. Immutable, thread-safe.
 */
final class Selectors {
    private static final List<String> FIELDS = List.of("status.phase", "metadata.name", "metadata.namespace");

    private Selectors() {
    }

    /** Objects matching both selectors (either may be null). */
    static Predicate<JsonNode> of(String labels, String fields) {
        List<Predicate<JsonNode>> all = new ArrayList<>();
        for (String term : terms(labels)) {
            all.add(label(term));
        }
        for (String term : terms(fields)) {
            all.add(field(term));
        }
        return o -> all.stream().allMatch(p -> p.test(o));
    }

    private static List<String> terms(String s) {
        List<String> out = new ArrayList<>();
        if (s != null) {
            for (String t : s.split(",")) {
                if (!t.isBlank()) {
                    out.add(t.strip());
                }
            }
        }
        return out;
    }

    private static Predicate<JsonNode> label(String term) {
        if (term.startsWith("!")) {
            String key = term.substring(1);
            return o -> !labels(o).has(key);
        }
        String[] kv = split(term);
        if (kv == null) {
            return o -> labels(o).has(term);
        }
        boolean negate = kv[1].equals("!=");
        return o -> {
            JsonNode v = labels(o).get(kv[0]);
            boolean eq = v != null && v.asText().equals(kv[2]);
            return negate != eq;
        };
    }

    private static Predicate<JsonNode> field(String term) {
        String[] kv = split(term);
        if (kv == null || !FIELDS.contains(kv[0])) {
            throw BerthException.invalid("--field-selector %s: use FIELD=VALUE or FIELD!=VALUE with FIELD one of %s",
                    term, String.join(", ", FIELDS));
        }
        String[] path = kv[0].split("\\.");
        boolean negate = kv[1].equals("!=");
        return o -> negate != o.path(path[0]).path(path[1]).asText("").equals(kv[2]);
    }

    /** {key, operator, value}, or null for a bare key. */
    private static String[] split(String term) {
        for (String op : new String[] {"!=", "==", "="}) {
            int i = term.indexOf(op);
            if (i > 0) {
                return new String[] {term.substring(0, i).strip(), op, term.substring(i + op.length()).strip()};
            }
        }
        return null;
    }

    private static JsonNode labels(JsonNode o) {
        return o.path("metadata").path("labels");
    }
}
