package dev.berth.controller.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.controller.store.ObjectStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.MetadataStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.ObjectMapper;
import dev.berth.crd.Berth;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.container.ContainerSpec;
import io.fabric8.kubernetes.client.CustomResource;

public class ManifestDirectorySourceTest {
    private static final ObjectMapper JSON = new SpecCodec().jsonMapper();

    /**
     * JSON is YAML: each file holds a JSON array of objects, bound to their kinds' classes without the
     * real codec's line-numbered strictness (that lives in crd and is tested there).
     */
    public static final ManifestDecoder DECODER = (file, text) -> {
        try {
            List<CustomResource<?, ?>> out = new ArrayList<>();
            for (JsonNode n : JSON.readTree(text)) {
                ObjectNode o = (ObjectNode) n;
                if (!o.path("metadata").has("namespace")) {
                    ((ObjectNode) o.get("metadata")).put("namespace", "default");
                }
                String kind = o.path("kind").asString("");
                out.add(JSON.treeToValue(o, Berth.kindClass(kind)
                        .orElseThrow(() -> BerthException.invalid("%s: unknown kind %s", file, kind))));
            }
            return out;
        } catch (JacksonException e) {
            throw BerthException.invalid("%s:%d: %s", file, e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
                    e.getOriginalMessage());
        }
    };

    @TempDir
    Path tmp;
    MetadataStore db;
    ObjectStore store;
    Path dir;

    @BeforeEach
    void open() throws Exception {
        db = MetadataStore.open(tmp.resolve("meta.db"));
        store = new ObjectStore(db, Clock.systemUTC());
        dir = tmp.resolve("manifests");
        Files.createDirectories(dir.resolve("sub"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    public static String containers(String... nameImage) {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < nameImage.length; i += 2) {
            docs.add("{\"kind\":\"Container\",\"metadata\":{\"name\":\"%s\"},\"spec\":{\"image\":\"%s\"}}"
                    .formatted(nameImage[i], nameImage[i + 1]));
        }
        return "[" + String.join(",", docs) + "]";
    }

    static ObjectRef key(String name) {
        return new ObjectRef("Container", "default", name);
    }

    @Test
    void appliesPrunesAndKeepsLastGoodObjectsOnError() throws Exception {
        ManifestDirectorySource src = new ManifestDirectorySource(dir, store, DECODER, Clock.systemUTC());
        Files.writeString(dir.resolve("a.yaml"), containers("web", "busybox", "db", "busybox"));
        Files.writeString(dir.resolve("sub/b.yml"), containers("cache", "busybox"));
        Files.writeString(dir.resolve(".hidden.yaml"), containers("ghost", "busybox"));
        Files.writeString(dir.resolve("notes.txt"), "not a manifest");
        src.rescan();
        assertEquals(3, store.list("Container").size());
        assertFalse(store.get(key("ghost")).isPresent());
        assertEquals("file:" + dir.resolve("a.yaml"), store.get(key("web")).orElseThrow().source());

        // a broken edit keeps web and db in force and reports the file and line
        Files.writeString(dir.resolve("a.yaml"), "[{\"kind\":\"Container\",\n  \"metadata\": {\"name\": }}]");
        src.rescan();
        assertTrue(store.get(key("web")).isPresent());
        assertFalse(store.get(key("web")).orElseThrow().deleting());
        SourceStatus a = src.statuses().get(0);
        assertTrue(a.error().contains(dir.resolve("a.yaml") + ":2"), a.error());
        assertEquals(2, a.objects());

        // fixed, with db gone: db is pruned, web updated
        Files.writeString(dir.resolve("a.yaml"), containers("web", "nginx"));
        src.rescan();
        assertEquals(2, store.get(key("web")).orElseThrow().generation());
        assertTrue(store.get(key("db")).orElseThrow().deleting());
        assertNull(src.statuses().get(0).error());

        // file removed: its objects go, others stay
        Files.delete(dir.resolve("sub/b.yml"));
        src.rescan();
        assertTrue(store.get(key("cache")).orElseThrow().deleting());
        assertFalse(store.get(key("web")).orElseThrow().deleting());
    }

    @Test
    void anUnchangedFileIsNotDecodedAgainButItsObjectsAreStillApplied() throws Exception {
        java.util.concurrent.atomic.AtomicInteger decodes = new java.util.concurrent.atomic.AtomicInteger();
        ManifestDecoder counting = (file, text) -> {
            decodes.incrementAndGet();
            return DECODER.decode(file, text);
        };
        ManifestDirectorySource src = new ManifestDirectorySource(dir, store, counting, Clock.systemUTC());
        Files.writeString(dir.resolve("a.yaml"), containers("web", "busybox"));
        src.rescan();
        src.rescan();
        assertEquals(1, decodes.get(), "the same bytes are decoded once");

        // an object gone from the store (removed behind the file's back) comes back from the kept decode
        store.remove(key("web"));
        src.rescan();
        assertEquals(1, decodes.get());
        assertEquals("file:" + dir.resolve("a.yaml"), store.get(key("web")).orElseThrow().source());
        assertTrue(String.valueOf(store.get(key("web")).orElseThrow().spec()).contains("busybox"));

        Files.writeString(dir.resolve("a.yaml"), containers("web", "alpine"));
        src.rescan();
        assertEquals(2, decodes.get(), "changed bytes are decoded again");
        assertTrue(String.valueOf(store.get(key("web")).orElseThrow().spec()).contains("alpine"));
    }

    @Test
    void theSameObjectInTwoFilesIsAnErrorOnTheLaterFile() throws Exception {
        ManifestDirectorySource src = new ManifestDirectorySource(dir, store, DECODER, Clock.systemUTC());
        Files.writeString(dir.resolve("a.yaml"), containers("web", "busybox"));
        Files.writeString(dir.resolve("b.yaml"), containers("web", "nginx", "other", "busybox"));
        src.rescan();
        assertEquals("busybox", store.get(key("web")).orElseThrow().spec(ContainerSpec.class).image());
        assertFalse(store.get(key("other")).isPresent(), "a file with an error applies nothing");
        assertTrue(src.statuses().get(1).error().contains("declared twice"), src.statuses().get(1).error());
    }

    /** Regression (issue 12): the error named the other file but no line, in neither file. */
    @Test
    void aDuplicateNamesTheOtherFileAndItsLineAndItsOwnLine() throws Exception {
        ManifestDirectorySource src = new ManifestDirectorySource(dir, store, new CrdManifestDecoder(), Clock.systemUTC());
        String web = """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata:
                  name: web
                spec: {ref: "docker.io/library/nginx:1"}
                """;
        Files.writeString(dir.resolve("a.yaml"), "# first\n" + web);
        Files.writeString(dir.resolve("b.yaml"), web.replace("nginx:1", "nginx:2"));
        src.rescan();
        String err = src.statuses().get(1).error();
        assertTrue(err.contains(dir.resolve("b.yaml") + ":4: metadata.name: Image default/web is declared twice (also at "
                + dir.resolve("a.yaml") + ":5); keep one declaration"), err);
        assertNull(src.statuses().get(0).error());

        // within one file: both of its lines
        Files.delete(dir.resolve("a.yaml"));
        Files.writeString(dir.resolve("b.yaml"), web.replace("nginx:1", "nginx:2") + "---\n" + web);
        src.rescan();
        err = src.statuses().get(0).error();
        assertTrue(err.contains(dir.resolve("b.yaml") + ":10: metadata.name: Image default/web is declared twice "
                + "(first at line 4)"), err);
    }

    @Test
    void watchRescansOnChange() throws Exception {
        AtomicInteger scans = new AtomicInteger();
        try (ManifestDirectorySource src = new ManifestDirectorySource(dir, store, DECODER, Clock.systemUTC())) {
            src.watch(50, scans::incrementAndGet);
            Files.writeString(dir.resolve("sub/new.yaml"), containers("late", "busybox"));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                    .until(() -> store.get(key("late")).isPresent());
            assertTrue(scans.get() >= 2);
        }
    }
}
