package dev.berth.controller.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.source.CrdManifestDecoder;
import dev.berth.controller.store.ObjectStore;
import dev.berth.engine.metadata.MetadataStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.fabric8.kubernetes.client.CustomResource;

class PlansTest {
    @TempDir
    Path tmp;

    static final String WEB = """
            apiVersion: berth.dev/v1alpha1
            kind: Container
            metadata:
              name: web
            spec:
              image: busybox
              command: [/bin/busybox, httpd, -f]
              resources:
                memory: %s
            """;

    @Test
    void classifiesWhatTheNodeWouldDo() {
        CrdManifestDecoder decoder = new CrdManifestDecoder();
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"))) {
            ObjectStore store = new ObjectStore(db, Clock.systemUTC());
            CustomResource<?, ?> first = decoder.decode(Path.of("web.yaml"), WEB.formatted("32Mi")).get(0);
            assertEquals("created", Plans.plan(store, first, "api", "file:/other.yaml", false).get("outcome"));
            store.apply(first, "api", false);
            assertEquals("unchanged", Plans.plan(store, first, "api", "file:/other.yaml", false).get("outcome"));

            Map<String, Object> live = Plans.plan(store, decoder.decode(Path.of("web.yaml"), WEB.formatted("64Mi")).get(0), "api", "file:/other.yaml", false);
            assertEquals("configured", live.get("outcome"));
            assertTrue(live.get("action").toString().contains("in place"), live.toString());
            assertEquals(List.of("spec.resources.memory: \"32Mi\" -> \"64Mi\""), live.get("changes"));

            CustomResource<?, ?> args = decoder.decode(Path.of("web.yaml"), WEB.formatted("32Mi").replace("-f]", "-f, -v]")).get(0);
            assertTrue(Plans.plan(store, args, "api", "file:/other.yaml", false).get("action").toString().startsWith("recreate"));
            assertEquals("conflict", Plans.plan(store, first, "file:/x.yaml", "file:/other.yaml", false).get("outcome"));

            // an object a manifest file owns: diffing that same file shows the daemon's plan and the owner
            CustomResource<?, ?> owned = decoder.decode(Path.of("/m/web.yaml"), WEB.formatted("32Mi").replace("name: web", "name: owned"))
                    .get(0);
            store.apply(owned, "file:/m/web.yaml", false);
            CustomResource<?, ?> edited = decoder.decode(Path.of("/m/web.yaml"), WEB.formatted("48Mi").replace("name: web", "name: owned"))
                    .get(0);
            Map<String, Object> mine = Plans.plan(store, edited, "api", "file:/m/web.yaml", false);
            assertEquals("configured", mine.get("outcome"), mine.toString());
            assertEquals("file:/m/web.yaml", mine.get("owner"));
            assertTrue(mine.get("action").toString().contains("in place"), mine.toString());
            Map<String, Object> other = Plans.plan(store, edited, "api", "file:/elsewhere.yaml", false);
            assertEquals("conflict", other.get("outcome"));
            assertEquals("file:/m/web.yaml", other.get("owner"));
        }
    }
}
