package dev.berth.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRDs checked in under manifests/crds/ are exactly the ones the build generates from the crd
 * classes. After changing a type, regenerate them with
 * {@code mvn -pl crd verify -Dtest=CrdManifestsTest -Dberth.crds.update=true}.
 */
class CrdManifestsTest {
    static final Path CHECKED_IN = Path.of("..", "manifests", "crds");
    static final List<String> PLURALS = List.of("images", "snapshots", "containers", "sandboxes");

    static Map<String, String> generated() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String plural : PLURALS) {
            String name = plural + "." + Berth.GROUP + "-v1.yml";
            try (InputStream in = CrdManifestsTest.class.getResourceAsStream("/META-INF/fabric8/" + name)) {
                assertNotNull(in, "the build did not generate " + name + " (crd-generator-maven-plugin)");
                out.put(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void checkedInCrdsEqualGeneratedOnes() throws IOException {
        Map<String, String> generated = generated();
        if (Boolean.getBoolean("berth.crds.update")) {
            Files.createDirectories(CHECKED_IN);
            for (Map.Entry<String, String> e : generated.entrySet()) {
                Files.writeString(CHECKED_IN.resolve(e.getKey()), e.getValue());
            }
        }
        Map<String, String> checkedIn = new TreeMap<>();
        try (Stream<Path> s = Files.list(CHECKED_IN)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".yml")).toList()) {
                checkedIn.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        assertEquals(generated.keySet(), checkedIn.keySet(), "CRD files in manifests/crds");
        for (String name : generated.keySet()) {
            assertEquals(generated.get(name), checkedIn.get(name), "manifests/crds/" + name
                    + " is stale: run mvn -pl crd verify -Dtest=CrdManifestsTest -Dberth.crds.update=true");
        }
    }

    @Test
    void crdsHaveStatusSubresourceShortNamesAndColumns() throws IOException {
        Map<String, String> generated = generated();
        for (String crd : generated.values()) {
            assertTrue(crd.contains("subresources:\n      status: {}"), crd);
            assertTrue(crd.contains("shortNames:"), crd);
            assertTrue(crd.contains("scope: \"Namespaced\""), crd);
            assertTrue(crd.contains("name: \"Age\""), crd);
        }
        String containers = generated.get("containers.berth.dev-v1.yml");
        assertTrue(containers.contains("name: \"Restarts\"") && containers.contains("name: \"Phase\""), containers);
        assertTrue(containers.contains("x-kubernetes-int-or-string: true"), "quantities accept 1 and \"1\"");
        assertTrue(generated.get("images.berth.dev-v1.yml").contains("name: \"Digest\""));
        assertTrue(generated.get("images.berth.dev-v1.yml").contains("required:\n            - \"ref\""));
    }
}
