package dev.berth.controller.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.berth.crd.container.Container;
import dev.berth.crd.sandbox.Sandbox;
import io.fabric8.kubernetes.client.CustomResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every YAML file under examples/ decodes and validates as the daemon would read it, and every
 * Container that names an Image or a Sandbox finds it in its own example directory tree.
 */
class ExamplesValidateTest {
    private static final Path EXAMPLES = Path.of("..", "examples");
    private final CrdManifestDecoder decoder = new CrdManifestDecoder();

    @Test
    void everyExampleDecodesAndValidates() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(EXAMPLES)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertFalse(files.isEmpty());
        for (Path f : files) {
            decoder.decode(f, Files.readString(f));
        }
    }

    @Test
    void podExamplesNameSandboxesTheyDefine() throws Exception {
        List<CustomResource<?, ?>> all = new ArrayList<>();
        for (String f : List.of("web-pod.yaml", "two-containers.yaml")) {
            Path p = EXAMPLES.resolve("pods").resolve(f);
            all.addAll(decoder.decode(p, Files.readString(p)));
        }
        Set<String> sandboxes = new HashSet<>();
        all.stream().filter(o -> o instanceof Sandbox).forEach(o -> sandboxes.add(o.getMetadata().getName()));
        List<String> missing = all.stream().filter(o -> o instanceof Container).map(o -> ((Container) o).getSpec().sandbox())
                .filter(s -> !sandboxes.contains(s)).toList();
        assertEquals(List.of(), missing);
        assertEquals(Set.of("web-pod", "pair"), sandboxes);
    }
}
