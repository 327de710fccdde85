package dev.berth.controller.source;

import dev.berth.crd.Berth;
import dev.berth.crd.codec.Document;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.codec.SpecException;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * The real {@link ManifestDecoder}: strict YAML decoding and validation by {@link SpecCodec}, every
 * problem reported as {@code file:line: field.path: message}. Objects without a namespace get
 * {@code default}. Thread-safe.
 */
public final class CodecDecoder implements ManifestDecoder {
    private final SpecCodec codec;

    public CodecDecoder(SpecCodec codec) {
        this.codec = codec;
    }

    @Override
    public List<ObjectNode> decode(Path file, String text) {
        List<Document> docs;
        try {
            docs = codec.read(file.toString(), text);
        } catch (SpecException e) {
            throw new BerthException(ErrorCategory.INVALID_ARGUMENT, e.getMessage(), e);
        }
        List<ObjectNode> out = new ArrayList<>();
        for (Document d : docs) {
            ObjectNode o = (ObjectNode) codec.jsonMapper().valueToTree(d.object());
            ObjectNode meta = (ObjectNode) o.get("metadata");
            if (!meta.hasNonNull("namespace") || meta.get("namespace").asText().isEmpty()) {
                meta.put("namespace", Berth.DEFAULT_NAMESPACE);
            }
            o.remove("status");
            out.add(o);
        }
        return out;
    }
}
