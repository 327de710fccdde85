package dev.berth.controller.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.DesiredState;
import io.fabric8.kubernetes.client.CustomResource;

class CrdManifestDecoderTest {
    private final CrdManifestDecoder decoder = new CrdManifestDecoder();

    @Test
    void decodesTheExamplesWithDefaultsAndNamespace() throws Exception {
        Path file = Path.of("..", "examples", "local", "web-server.yaml");
        List<CustomResource<?, ?>> objects = decoder.decode(file, Files.readString(file));
        assertEquals(2, objects.size(), "the web Sandbox and its Container");
        assertEquals("Sandbox", objects.get(0).getKind());
        Container web = (Container) objects.get(1);
        assertEquals("Container", web.getKind());
        assertEquals("berth.dev/v1alpha1", web.getApiVersion());
        assertEquals("default", web.getMetadata().getNamespace());
        assertEquals(DesiredState.Running, web.getSpec().state(), "defaults are filled in");
        assertEquals("32Mi", web.getSpec().resources().memory());
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
