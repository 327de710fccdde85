package dev.berth.controller.source;

import dev.berth.crd.Berth;
import dev.berth.crd.codec.Document;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.codec.SpecException;
import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Path;
import java.util.List;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * The real {@link ManifestDecoder}: strict multi-document YAML through {@link SpecCodec#read}
 * (decoding and validation), defaults filled in, namespace defaulted to
 * {@link Berth#DEFAULT_NAMESPACE}. A file with any problem yields no objects and one
 * INVALID_ARGUMENT error listing every problem as {@code file:line: path: message}, one per line.
 * Thread-safe.
 */
public final class CrdManifestDecoder implements ManifestDecoder {
    private final SpecCodec codec;

    public CrdManifestDecoder(SpecCodec codec) {
        this.codec = codec;
    }

    public CrdManifestDecoder() {
        this(new SpecCodec());
    }

    @Override
    public List<CustomResource<?, ?>> decode(Path file, String text) {
        return documents(file, text).stream().map(Document::object).toList();
    }

    @Override
    public List<Declared> declare(Path file, byte[] bytes) {
        return documents(file, ManifestDecoder.text(file, bytes)).stream()
                .map(d -> new Declared(d.object(), d.lineOf("metadata.name"))).toList();
    }

    private List<Document> documents(Path file, String text) {
        List<Document> docs;
        try {
            docs = codec.read(file.toString(), text);
        } catch (SpecException e) {
            throw BerthException.invalid("%s", e.getMessage());
        }
        for (Document d : docs) {
            CustomResource<?, ?> o = d.object();
            if (o.getMetadata().getNamespace() == null) {
                o.getMetadata().setNamespace(Berth.DEFAULT_NAMESPACE);
            }
        }
        return docs;
    }
}
