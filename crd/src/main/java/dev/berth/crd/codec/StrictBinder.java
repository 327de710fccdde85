package dev.berth.crd.codec;

import dev.berth.crd.Berth;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.CustomResource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Binds one document tree to its kind's class, reporting every unknown field and type error with
 * its path: after each failure the offending field is dropped from a working copy and binding is
 * retried, so one pass finds all of them. Thread-safe (stateless besides the mapper).
 */
final class StrictBinder {
    private static final int MAX_ERRORS_PER_DOCUMENT = 50;
    private final ObjectMapper mapper;

    StrictBinder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    CustomResource<?, ?> bind(String source, YamlTree.Doc doc, List<SpecError> errors) {
        List<SpecError> mine = new ArrayList<>();
        Class<? extends CustomResource<?, ?>> type = kindOf(source, doc, mine);
        if (type == null) {
            errors.addAll(mine);
            return null;
        }
        ObjectNode work = (ObjectNode) doc.node().deepCopy();
        Set<String> seen = new HashSet<>();
        CustomResource<?, ?> obj = null;
        while (mine.size() < MAX_ERRORS_PER_DOCUMENT) {
            try {
                obj = mapper.readerFor(type).readValue(work);
                break;
            } catch (JacksonException e) {
                // DatabindException for shapes and fields; StreamReadException (InputCoercionException)
                // for numbers out of their field's range
                String path = Paths.of(e.getPath());
                mine.add(new SpecError(source, Paths.lineOf(doc.lines(), path, doc.line()), path,
                        describe(e, doc.node())));
                if (path.isEmpty() || !seen.add(path) || !drop(work, e.getPath())) {
                    break;
                }
            }
        }
        if (obj != null) {
            checkMetadata(source, doc, obj.getMetadata(), mine);
        }
        errors.addAll(mine);
        return mine.isEmpty() ? obj : null;
    }

    private static Class<? extends CustomResource<?, ?>> kindOf(String source, YamlTree.Doc doc,
            List<SpecError> errors) {
        if (!doc.node().isObject()) {
            errors.add(new SpecError(source, doc.line(), "",
                    "a document must be a mapping with apiVersion, kind, metadata and spec"));
            return null;
        }
        JsonNode api = doc.node().get("apiVersion");
        JsonNode kind = doc.node().get("kind");
        boolean ok = true;
        if (api == null || !api.isString()) {
            errors.add(at(source, doc, "apiVersion", "required (" + Berth.API_VERSION + ")"));
            ok = false;
        } else if (!Berth.API_VERSION.equals(api.asString())) {
            errors.add(at(source, doc, "apiVersion", "\"" + api.asString() + "\" is not served here; use "
                    + Berth.API_VERSION));
            ok = false;
        }
        if (kind == null || !kind.isString()) {
            errors.add(at(source, doc, "kind", "required (one of " + SpecCodec.servedKinds() + ")"));
            return null;
        }
        var cls = Berth.kindClass(kind.asString());
        if (cls.isEmpty()) {
            String hint = Suggest.closest(kind.asString(), Berth.kindNames())
                    .map(s -> "did you mean " + s + "?").orElse("one of " + SpecCodec.servedKinds());
            errors.add(at(source, doc, "kind", "\"" + kind.asString() + "\" is not a Berth kind (" + hint + ")"));
            return null;
        }
        return ok ? cls.get() : null;
    }

    private static SpecError at(String source, YamlTree.Doc doc, String path, String message) {
        return new SpecError(source, Paths.lineOf(doc.lines(), path, doc.line()), path, message);
    }

    /** ObjectMeta keeps unknown fields aside instead of failing; strict mode reports them. */
    private static void checkMetadata(String source, YamlTree.Doc doc, ObjectMeta meta, List<SpecError> errors) {
        if (meta == null || meta.getAdditionalProperties() == null) {
            return;
        }
        List<String> known = List.of("name", "namespace", "labels", "annotations", "generation",
                "uid", "resourceVersion", "creationTimestamp", "finalizers");
        for (String field : meta.getAdditionalProperties().keySet()) {
            String path = "metadata." + field;
            errors.add(at(source, doc, path, unknown(path, Suggest.closest(field, known).map(s -> "metadata." + s))));
        }
    }

    private static String unknown(String path, java.util.Optional<String> suggestion) {
        return "unknown field" + suggestion.map(s -> " (did you mean " + s + "?)").orElse("");
    }

    private static String describe(JacksonException e, JsonNode root) {
        String path = Paths.of(e.getPath());
        if (e instanceof tools.jackson.core.exc.InputCoercionException c) {
            JsonNode n = nodeAt(root, e.getPath());
            Class<?> t = c.getTargetType();
            String max = t == Integer.class || t == int.class ? Integer.toString(Integer.MAX_VALUE)
                    : Long.toString(Long.MAX_VALUE);
            return (n == null ? "the number" : n.toString()) + " is out of range: expected an integer of at most " + max;
        }
        if (e instanceof UnrecognizedPropertyException u) {
            Collection<Object> known = u.getKnownPropertyIds();
            List<String> names = known == null ? List.of()
                    : known.stream().map(String::valueOf).toList();
            String parent = path.contains(".") ? path.substring(0, path.lastIndexOf('.') + 1) : "";
            return unknown(path, Suggest.closest(u.getPropertyName(), names).map(s -> parent + s));
        }
        JsonNode found = nodeAt(root, e.getPath());
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            Class<?> target = m.getTargetType();
            if (target.isEnum()) {
                String allowed = java.util.Arrays.stream(target.getEnumConstants())
                        .map(String::valueOf).collect(Collectors.joining(", "));
                String value = e instanceof InvalidFormatException f ? String.valueOf(f.getValue())
                        : found == null ? "?" : found.toString();
                return "\"" + value + "\" is not one of " + allowed;
            }
            String want = expected(target);
            String got = found(found);
            if (want.equals("a mapping") && got.equals("a mapping")) {
                // the shape is right, something inside is not: say what Jackson found wrong
                return "this mapping cannot be read as " + target.getSimpleName() + ": "
                        + SpecCodec.firstLine(e.getOriginalMessage());
            }
            if (want.equals("an integer") && found != null && found.isString() && path.matches(
                    "spec\\.(startup|liveness|readiness)Probe\\.(httpGet|tcpSocket)\\.port")) {
                // kubelet resolves a named port from the container's ports; no Berth object names its ports
                return "\"" + found.asString() + "\" is a named port, but neither Containers nor Sandboxes name their"
                        + " ports here; give the port number (e.g. port: 8080)";
            }
            return "expected " + want + ", got " + got;
        }
        return SpecCodec.firstLine(e.getOriginalMessage());
    }

    static String expected(Class<?> t) {
        if (t == String.class) {
            return "a string";
        }
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "an integer";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (Collection.class.isAssignableFrom(t) || t.isArray()) {
            return "a list";
        }
        if (Number.class.isAssignableFrom(t) || t == double.class || t == float.class) {
            return "a number";
        }
        return "a mapping";
    }

    private static String found(JsonNode n) {
        if (n == null || n.isNull()) {
            return "null";
        }
        if (n.isString()) {
            return "the string " + n;
        }
        if (n.isArray()) {
            return "a list";
        }
        if (n.isObject()) {
            return "a mapping";
        }
        return n.toString();
    }

    private static JsonNode nodeAt(JsonNode root, List<JacksonException.Reference> refs) {
        JsonNode n = root;
        for (JacksonException.Reference r : refs) {
            if (n == null) {
                return null;
            }
            n = r.getPropertyName() != null ? n.get(r.getPropertyName()) : n.get(r.getIndex());
        }
        return n;
    }

    /** Removes the field (or nulls the list element) at {@code refs}; false when not found. */
    private static boolean drop(JsonNode root, List<JacksonException.Reference> refs) {
        if (refs.isEmpty()) {
            return false;
        }
        JsonNode parent = nodeAt(root, refs.subList(0, refs.size() - 1));
        JacksonException.Reference last = refs.get(refs.size() - 1);
        if (parent instanceof ObjectNode o && last.getPropertyName() != null && o.has(last.getPropertyName())) {
            o.remove(last.getPropertyName());
            return true;
        }
        if (parent instanceof ArrayNode a && last.getIndex() >= 0 && last.getIndex() < a.size()) {
            a.set(last.getIndex(), a.nullNode());
            return true;
        }
        return false;
    }
}
