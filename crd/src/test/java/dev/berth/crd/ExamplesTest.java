package dev.berth.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.codec.Document;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.container.Container;
import dev.berth.crd.image.Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every Berth spec under examples/ decodes and validates, and the references between them resolve. */
class ExamplesTest {
    static final Path EXAMPLES = Path.of("..", "examples");

    static List<Path> bertSpecs() throws IOException {
        try (Stream<Path> s = Files.walk(EXAMPLES)) {
            return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(p -> {
                        try {
                            return Files.readString(p).contains("apiVersion: " + Berth.GROUP + "/");
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).sorted().toList();
        }
    }

    @Test
    void everyExampleDecodesAndValidates() throws IOException {
        SpecCodec codec = new SpecCodec();
        List<Path> files = bertSpecs();
        assertTrue(files.size() >= 4, "examples found: " + files);
        Map<Path, List<Document>> byDir = new HashMap<>();
        for (Path f : files) {
            List<Document> docs = codec.read(f);
            assertFalse(docs.isEmpty(), f + " has no documents");
            // one example directory (examples/<name>/…) is one GitOps source
            byDir.computeIfAbsent(EXAMPLES.resolve(EXAMPLES.relativize(f).getName(0)), k -> new ArrayList<>()).addAll(docs);
        }
        // within one example directory every Container's image names an Image there
        for (List<Document> docs : byDir.values()) {
            List<ObjectRef> images = docs.stream().filter(d -> d.object() instanceof Image).map(Document::ref).toList();
            for (Document d : docs) {
                if (d.object() instanceof Container c) {
                    ObjectRef wanted = d.ref().sibling("Image", c.getSpec().image());
                    assertTrue(images.contains(wanted), d.source() + ": " + wanted + " not defined next to it");
                }
            }
            assertEquals(docs.size(), docs.stream().map(Document::ref).distinct().count(), "duplicate objects in " + docs);
        }
    }

    @Test
    void theLocalExamplesUseTheImportedImage() throws IOException {
        Image image = (Image) new SpecCodec().read(EXAMPLES.resolve("local/busybox-image.yaml")).get(0).object();
        assertEquals("localhost/berth/busybox:latest", image.getSpec().ref());
        for (String name : List.of("hello-world.yaml", "web-server.yaml", "resource-limited.yaml")) {
            assertTrue(Files.exists(EXAMPLES.resolve("local").resolve(name)), name);
        }
    }
}
