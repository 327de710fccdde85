package dev.berth.controller.cli;

import dev.berth.engine.errdefs.BerthException;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The subset of kubectl's {@code -o jsonpath=TEMPLATE} that scripts use: literal text with
 * {@code {.field.field}}, {@code [N]} and {@code [*]} segments ({@code {.items[*].metadata.name}});
 * several matches print space-separated. No filters or ranges. Stateless, thread-safe.
 */
final class JsonPathOutput {
    private JsonPathOutput() {
    }

    static String render(String template, JsonNode root) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf('{', i);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            int close = template.indexOf('}', open);
            if (close < 0) {
                throw BerthException.invalid("-o jsonpath=%s: unclosed {", template);
            }
            out.append(template, i, open);
            List<String> values = new ArrayList<>();
            for (JsonNode n : select(root, template.substring(open + 1, close).strip(), template)) {
                values.add(n.isValueNode() ? n.asText() : n.toString());
            }
            out.append(String.join(" ", values));
            i = close + 1;
        }
        return out.toString().replace("\\n", "\n").replace("\\t", "\t");
    }

    private static List<JsonNode> select(JsonNode root, String expr, String template) {
        if (!expr.startsWith(".") && !expr.startsWith("$")) {
            throw BerthException.invalid("-o jsonpath=%s: %s must start with '.' (e.g. {.metadata.name})", template, expr);
        }
        List<JsonNode> current = new ArrayList<>(List.of(root));
        for (String seg : expr.replaceFirst("^\\$", "").split("\\.")) {
            if (seg.isEmpty()) {
                continue;
            }
            String name = seg;
            String index = null;
            int b = seg.indexOf('[');
            if (b >= 0 && seg.endsWith("]")) {
                name = seg.substring(0, b);
                index = seg.substring(b + 1, seg.length() - 1);
            }
            List<JsonNode> next = new ArrayList<>();
            for (JsonNode n : current) {
                JsonNode v = name.isEmpty() ? n : n.get(name);
                if (v == null) {
                    continue;
                }
                if (index == null) {
                    next.add(v);
                } else if (index.equals("*")) {
                    v.forEach(next::add);
                } else {
                    try {
                        JsonNode e = v.get(Integer.parseInt(index));
                        if (e != null) {
                            next.add(e);
                        }
                    } catch (NumberFormatException ex) {
                        throw BerthException.invalid("-o jsonpath=%s: [%s] must be a number or *", template, index);
                    }
                }
            }
            current = next;
        }
        return current;
    }
}
