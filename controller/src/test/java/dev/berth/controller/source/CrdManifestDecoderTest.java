package dev.berth.controller.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class CrdManifestDecoderTest {
    private final CrdManifestDecoder decoder = new CrdManifestDecoder();

    @Test
    void decodesTheExamplesWithDefaultsAndNamespace() throws Exception {
        Path file = Path.of("..", "examples", "local", "web-server.yaml");
        List<ObjectNode> objects = decoder.decode(file, Files.readString(file));
        assertEquals(1, objects.size());
        ObjectNode web = objects.get(0);
        assertEquals("Container", web.get("kind").asString());
        assertEquals("berth.dev/v1alpha1", web.get("apiVersion").asString());
        assertEquals("default", web.at("/metadata/namespace").asString());
        assertEquals("Running", web.at("/spec/state").asString(), "defaults are filled in");
        assertEquals("32Mi", web.at("/spec/resources/memory").asString());
    }

    @Test
    void everyProblemIsReportedWithFileAndLine() {
        BerthException e = assertThrows(BerthException.class, () -> decoder.decode(Path.of("m/web.yaml"), """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: web}
                spec:
                  image: busybox
                  resurces: {memory: 64Mi}
                ---
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: db}
                spec:
                  image: busybox
                  resources: {memory: 12XB}
                """));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertEquals("m/web.yaml:6: spec.resurces: unknown field (did you mean spec.resources?)\n"
                + "m/web.yaml:13: spec.resources.memory: \"12XB\" is not a quantity (e.g. 64Mi)", e.getMessage());
    }
}
