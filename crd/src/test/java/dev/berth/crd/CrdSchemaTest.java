package dev.berth.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The generated CRDs accept every Berth example (what an API server's structural-schema check
 * would do: types, unknown fields, required fields, enums, int-or-string), and reject bad input,
 * so the schema and the Java types cannot drift apart unnoticed.
 */
class CrdSchemaTest {
    private static final YAMLMapper YAML = YAMLMapper.builder().build();

    static Map<String, JsonNode> schemasByKind() throws IOException {
        Map<String, JsonNode> out = new java.util.HashMap<>();
        for (String crd : CrdManifestsTest.generated().values()) {
            JsonNode root = YAML.readTree(crd);
            String kind = root.at("/spec/names/kind").asString();
            out.put(kind, root.at("/spec/versions/0/schema/openAPIV3Schema"));
        }
        return out;
    }

    /** Problems of {@code value} against {@code schema}, each prefixed with its path. */
    static void check(JsonNode schema, JsonNode value, String path, List<String> problems) {
        if (schema.has("x-kubernetes-int-or-string")) {
            if (!value.isString() && !value.isIntegralNumber()) {
                problems.add(path + ": must be an integer or a string");
            }
            return;
        }
        String type = schema.path("type").asString("");
        switch (type) {
            case "object" -> {
                if (!value.isObject()) {
                    problems.add(path + ": must be an object");
                    return;
                }
                for (JsonNode req : schema.path("required")) {
                    if (!value.has(req.asString())) {
                        problems.add(path + "." + req.asString() + ": required");
                    }
                }
                JsonNode props = schema.get("properties");
                JsonNode additional = schema.get("additionalProperties");
                for (Map.Entry<String, JsonNode> e : value.properties()) {
                    String p = path + "." + e.getKey();
                    if (props != null && props.has(e.getKey())) {
                        check(props.get(e.getKey()), e.getValue(), p, problems);
                    } else if (additional != null) {
                        check(additional, e.getValue(), p, problems);
                    } else if (!schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                        problems.add(p + ": unknown field");
                    }
                }
            }
            case "array" -> {
                if (!value.isArray()) {
                    problems.add(path + ": must be an array");
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    check(schema.get("items"), value.get(i), path + "[" + i + "]", problems);
                }
            }
            case "string" -> {
                if (!value.isString()) {
                    problems.add(path + ": must be a string");
                } else if (schema.has("enum")) {
                    List<String> allowed = new ArrayList<>();
                    schema.get("enum").forEach(n -> allowed.add(n.asString()));
                    if (!allowed.contains(value.asString())) {
                        problems.add(path + ": must be one of " + allowed);
                    }
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    problems.add(path + ": must be an integer");
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    problems.add(path + ": must be a boolean");
                }
            }
            default -> {
                // untyped: anything goes
            }
        }
    }

    static List<String> problems(Map<String, JsonNode> schemas, JsonNode doc) {
        List<String> problems = new ArrayList<>();
        JsonNode schema = schemas.get(doc.path("kind").asString());
        if (schema == null) {
            return List.of("kind " + doc.path("kind") + " has no CRD");
        }
        // apiVersion, kind and metadata are checked by the API server itself, not the CRD schema
        for (String part : List.of("spec", "status")) {
            if (doc.has(part)) {
                check(schema.at("/properties/" + part), doc.get(part), part, problems);
            }
        }
        return problems;
    }

    @Test
    void everyExampleMatchesItsCrdSchema() throws IOException {
        Map<String, JsonNode> schemas = schemasByKind();
        assertEquals(4, schemas.size());
        int checked = 0;
        for (Path file : ExamplesTest.bertSpecs()) {
            try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(Files.readString(file))) {
                for (Iterator<JsonNode> i = it; i.hasNext();) {
                    JsonNode doc = i.next();
                    if (doc == null || doc.isNull() || doc.isMissingNode()) {
                        continue;
                    }
                    assertEquals(List.of(), problems(schemas, doc), file.toString());
                    checked++;
                }
            }
        }
        assertTrue(checked >= 7, checked + " documents checked");
        assertTrue(ExamplesTest.bertSpecs().stream().anyMatch(p -> p.toString().contains("kubernetes")),
                "examples/kubernetes is covered");
    }

    @Test
    void theSchemaRejectsWhatTheApiServerWould() throws IOException {
        Map<String, JsonNode> schemas = schemasByKind();
        JsonNode bad = YAML.readTree("""
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: x}
                spec:
                  args: oops
                  resurces: {}
                  restartPolicy: Sometimes
                  resources: {memory: [1]}
                """);
        assertEquals(List.of("spec.image: required", "spec.args: must be an array", "spec.resurces: unknown field",
                "spec.restartPolicy: must be one of [Always, Never, OnFailure]", "spec.resources.memory: must be an integer or a string"),
                problems(schemas, bad));
    }
}
