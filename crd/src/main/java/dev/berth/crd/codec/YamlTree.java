package dev.berth.crd.codec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads a (multi-document) YAML or JSON stream into trees while recording the line of every field,
 * and rejects duplicate keys. Not thread-safe (one instance per stream).
 */
final class YamlTree {
    /** One document: its first line, its tree, the line of each field path. */
    record Doc(int line, JsonNode node, Map<String, Integer> lines) {
    }

    private final JsonParser parser;
    private final String source;
    private final List<SpecError> errors;
    private Map<String, Integer> lines;

    YamlTree(JsonParser parser, String source, List<SpecError> errors) {
        this.parser = parser;
        this.source = source;
        this.errors = errors;
    }

    /** All documents; empty documents are skipped. Syntax errors propagate as JacksonException. */
    List<Doc> readAll() {
        List<Doc> docs = new ArrayList<>();
        JsonToken t;
        while ((t = parser.nextToken()) != null) {
            int line = line();
            lines = new HashMap<>();
            JsonNode node = value(t, "");
            if (!node.isNull()) {
                docs.add(new Doc(line, node, lines));
            }
        }
        return docs;
    }

    private int line() {
        return parser.currentTokenLocation().getLineNr();
    }

    private JsonNode value(JsonToken t, String path) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (t) {
            case START_OBJECT: {
                ObjectNode o = f.objectNode();
                while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                    String name = parser.currentName();
                    String child = Paths.child(path, name);
                    int keyLine = line();
                    JsonNode v = value(parser.nextToken(), child);
                    if (o.has(name)) {
                        errors.add(new SpecError(source, keyLine, child,
                                "duplicate field (first at line " + lines.get(child) + ")"));
                        continue;
                    }
                    lines.put(child, keyLine);
                    o.set(name, v);
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = f.arrayNode();
                JsonToken e;
                while ((e = parser.nextToken()) != JsonToken.END_ARRAY) {
                    String child = Paths.index(path, a.size());
                    lines.put(child, line());
                    a.add(value(e, child));
                }
                return a;
            }
            case VALUE_STRING:
                return f.stringNode(parser.getString());
            case VALUE_NUMBER_INT:
                return f.numberNode(parser.getBigIntegerValue());
            case VALUE_NUMBER_FLOAT:
                try {
                    return f.numberNode(parser.getDecimalValue());
                } catch (NumberFormatException e) {
                    // YAML's .nan, .inf and -.inf: floats that no field of a spec can hold
                    errors.add(new SpecError(source, line(), path, parser.getText()
                            + " is not a finite number; write a number (or quote it to make it a string)"));
                    return f.nullNode();
                }
            case VALUE_TRUE:
                return f.booleanNode(true);
            case VALUE_FALSE:
                return f.booleanNode(false);
            case VALUE_NULL:
                return f.nullNode();
            default:
                return f.stringNode(parser.getString());
        }
    }
}
