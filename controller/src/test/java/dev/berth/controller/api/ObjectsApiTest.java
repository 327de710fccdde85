package dev.berth.controller.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.source.ManifestDirectorySourceTest;
import dev.berth.crd.ObjectRef;
import dev.berth.controller.store.ObjectStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.metadata.MetadataStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ObjectsApiTest {
    @TempDir
    Path tmp;

    @Test
    void applyGetListWatchDeleteOverTheSocket() throws Exception {
        Path sock = tmp.resolve("berth.sock");
        try (MetadataStore db = MetadataStore.open(tmp.resolve("meta.db"));
                ApiServer server = new ApiServer(sock)) {
            ObjectStore store = new ObjectStore(db, Clock.systemUTC());
            new ObjectsApi(store, ManifestDirectorySourceTest.DECODER).register(server);
            server.start();
            try (ApiClient c = ApiClient.connect(sock)) {
                JsonNode res = c.post(ObjectsApi.BASE + "/apply",
                        ManifestDirectorySourceTest.containers("web", "busybox", "db", "busybox"), "application/yaml");
                assertEquals("created", res.path("results").get(0).path("outcome").asText());
                assertEquals("busybox", c.get(ObjectsApi.BASE + "/namespaces/default/containers/web")
                        .path("spec").path("image").asText());
                assertEquals(2, c.get(ObjectsApi.BASE + "/containers").path("items").size());
                assertEquals(2, c.get(ObjectsApi.BASE + "/namespaces/default/ctr").path("items").size());

                BerthException nf = assertThrows(BerthException.class,
                        () -> c.get(ObjectsApi.BASE + "/namespaces/default/containers/nope"));
                assertEquals(ErrorCategory.NOT_FOUND, nf.category());
                BerthException bad = assertThrows(BerthException.class,
                        () -> c.post(ObjectsApi.BASE + "/apply", "[{\"kind\": ", "application/yaml"));
                assertEquals(ErrorCategory.INVALID_ARGUMENT, bad.category());

                List<JsonNode> seen = new CopyOnWriteArrayList<>();
                Thread watcher = new Thread(() -> c.stream(ObjectsApi.BASE + "/containers?watch=true", line -> {
                    seen.add(line);
                    return !line.path("type").asText().equals("MODIFIED");
                }));
                watcher.start();
                org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> seen.size() >= 2);
                dev.berth.crd.container.ContainerStatus running = new dev.berth.crd.container.ContainerStatus();
                running.setPhase(dev.berth.crd.container.ContainerPhase.Running);
                store.updateStatus(new ObjectRef("Container", "default", "web"), running);
                watcher.join(10_000);
                JsonNode last = seen.get(seen.size() - 1);
                assertEquals("MODIFIED", last.path("type").asText());
                assertEquals("Running", last.path("object").path("status").path("phase").asText());

                c.delete(ObjectsApi.BASE + "/namespaces/default/containers/db");
                assertTrue(store.get(new ObjectRef("Container", "default", "db")).orElseThrow().deleting());
            }
        }
    }
}
