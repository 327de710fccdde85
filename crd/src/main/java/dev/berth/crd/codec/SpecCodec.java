package dev.berth.crd.codec;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.crd.Berth;
import dev.berth.crd.validation.FieldError;
import dev.berth.crd.validation.Validator;
import io.fabric8.kubernetes.client.CustomResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/**
 * Reads and writes Berth manifests: multi-document YAML (JSON is YAML too), strict like kubectl's
 * strict field validation. Unknown and duplicate fields, wrong types, unknown kinds and API versions
 * are errors with file, line and field path; every problem in a stream is reported, not just the
 * first. Thread-safe; create once and share.
 */
public final class SpecCodec {
    private final YAMLMapper yaml;
    private final JsonMapper json;
    private final StrictBinder binder;

    public SpecCodec() {
        this.yaml = configure(YAMLMapper.builder()
                .disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
                .enable(YAMLWriteFeature.MINIMIZE_QUOTES)
                .enable(YAMLWriteFeature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)).build();
        this.json = configure(JsonMapper.builder()).enable(SerializationFeature.INDENT_OUTPUT).build();
        this.binder = new StrictBinder(json);
    }

    private static <M extends ObjectMapper, B extends tools.jackson.databind.cfg.MapperBuilder<M, B>> B configure(B b) {
        return b.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // a fractional count (pids: 1.5) is an error, not silently truncated
                .withCoercionConfig(LogicalType.Integer, c -> c
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail))
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .changeDefaultPropertyInclusion(v -> v.withValueInclusion(JsonInclude.Include.NON_NULL));
    }

    /**
     * Decodes every document in {@code text}; {@code source} names it in errors (a file path, "-"
     * for stdin, "api"). Does not run {@link Validator}; see {@link #read}.
     *
     * @throws SpecException listing every problem found, with line numbers
     */
    public List<Document> decode(String source, String text) {
        List<SpecError> errors = new ArrayList<>();
        List<Document> docs = decode(source, text, errors);
        if (!errors.isEmpty()) {
            errors.sort(Comparator.comparingInt(SpecError::line));
            throw new SpecException(errors);
        }
        return docs;
    }

    /**
     * Decodes and validates: the documents of {@code text}, or a {@link SpecException} with every
     * decoding and validation problem located by line (documents that decoded are validated even
     * when others did not, so one run reports everything).
     */
    public List<Document> read(String source, String text) {
        List<SpecError> errors = new ArrayList<>();
        List<Document> docs = decode(source, text, errors);
        java.util.Map<String, Document> seen = new java.util.HashMap<>();
        for (Document d : docs) {
            for (FieldError f : Validator.validate(d.object())) {
                errors.add(d.error(f.path(), f.message()));
            }
            var meta = d.object().getMetadata();
            if (meta != null && meta.getName() != null) {
                String ns = meta.getNamespace() == null ? Berth.DEFAULT_NAMESPACE : meta.getNamespace();
                String id = d.object().getKind() + " " + ns + "/" + meta.getName();
                Document first = seen.putIfAbsent(id, d);
                if (first != null) {
                    errors.add(d.error("metadata.name", id + " is declared twice (first at line " + first.lineOf("metadata.name")
                            + "); keep one declaration"));
                }
            }
        }
        if (!errors.isEmpty()) {
            errors.sort(Comparator.comparingInt(SpecError::line));
            throw new SpecException(errors);
        }
        return docs;
    }

    private List<Document> decode(String source, String text, List<SpecError> errors) {
        List<YamlTree.Doc> docs;
        try (JsonParser p = yaml.createParser(text)) {
            docs = new YamlTree(p, source, errors).readAll();
        } catch (JacksonException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            errors.add(new SpecError(source, line, "", "not valid YAML: " + firstLine(e.getOriginalMessage())));
            return List.of();
        } catch (RuntimeException e) {
            // the YAML library's own limits (aliases, nesting, code points) and anything else it throws
            errors.add(new SpecError(source, 0, "", "not valid YAML: " + firstLine(e.getMessage())));
            return List.of();
        }
        List<Document> out = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            YamlTree.Doc d = docs.get(i);
            CustomResource<?, ?> obj;
            try {
                obj = binder.bind(source, d, errors);
            } catch (RuntimeException e) {
                // whatever a document holds, it is an error located in it, never an escape
                errors.add(new SpecError(source, d.line(), "", "cannot be read: " + firstLine(e.getMessage())));
                continue;
            }
            if (obj != null) {
                out.add(new Document(source, i, d.line(), obj, d.lines()));
            }
        }
        return out;
    }

    /** {@link #read} of a file, named by its path in errors. */
    public List<Document> read(Path file) {
        try {
            if (Files.size(file) > SpecText.MAX_BYTES) {
                throw SpecText.tooLarge(file.toString(), Files.size(file));
            }
            return read(file.toString(), SpecText.decode(file.toString(), Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read manifest " + file + ": " + e.getMessage(), e);
        }
    }

    /** The object as a YAML document (no leading {@code ---}), null fields left out. */
    public String toYaml(Object object) {
        return yaml.writeValueAsString(object);
    }

    /** The object as indented JSON, null fields left out. */
    public String toJson(Object object) {
        return json.writeValueAsString(object);
    }

    /** Parses JSON (from the local API) into {@code type}, strictly, without line numbers. */
    public <T> T fromJson(String text, Class<T> type) {
        return json.readValue(text, type);
    }

    /** A deep copy through JSON, e.g. to edit a status without touching a cached object. */
    @SuppressWarnings("unchecked")
    public <T> T copy(T object) {
        JsonNode tree = json.valueToTree(object);
        return (T) json.treeToValue(tree, object.getClass());
    }

    /** The JSON mapper with this codec's settings, for callers that stream. */
    public ObjectMapper jsonMapper() {
        return json;
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Whether {@code kind}/{@code apiVersion} are served, for messages. */
    static String servedKinds() {
        return String.join(", ", Berth.kindNames());
    }
}
