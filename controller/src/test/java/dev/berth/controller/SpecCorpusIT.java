package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecText;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.config.Config;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RootOnly;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The corpus of refused specs (crd's {@code SpecCorpusTest}, files in {@code crd/src/test/resources/corpus/refused}) fed to a live daemon both ways a user feeds
 * it: each file through the local API with curl (422 and its located error) and dropped into the
 * manifest directory (the file's source status carries the same error). Meanwhile a canary
 * container runs and must not be disturbed, and the directory watcher must still apply a good file
 * afterwards (the periodic rescan is an hour away, so only the watcher can). Regression for issue 12:
 * a number out of range or {@code .nan} stopped the watcher for good, and the API answered with raw
 * exception text.
 */
@RootOnly("runs a container")
class SpecCorpusIT {
    private static final String IMAGE = """
            apiVersion: berth.dev/v1alpha1
            kind: Image
            metadata:
              name: %s
            spec:
              ref: localhost/berth/busybox:latest
              pullPolicy: Never
            """;

    private static final Path CORPUS = Path.of("../crd/src/test/resources/corpus/refused");
    private static final ObjectRef CANARY = new ObjectRef("Container", "default", "canary");

    @TempDir
    Path tmp;
    Config config;
    Path socket;
    Path manifests;
    String cgroupParent = "/berth-corpus-" + Long.toHexString(System.nanoTime());
    Daemon daemon;

    @BeforeEach
    void setUp() throws Exception {
        socket = tmp.resolve("state/berth.sock");
        manifests = Files.createDirectories(tmp.resolve("manifests"));
        config = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(CgroupSettings.CGROUP_PARENT, cgroupParent)
                .with(ControllerSettings.API_ADDRESS, socket.toString())
                .with(ControllerSettings.MANIFEST_DIR, manifests.toString())
                .with(ControllerSettings.RESYNC_INTERVAL, Duration.ofHours(1));
        try (Engine e = Engine.open(config)) {
            OciImageBuilder.busybox().build().writeLayout(tmp.resolve("layout"), "latest");
            new dev.berth.engine.images.archive.ImageImporter(e.content(), e.images(), e.leases()).importFrom(
                    tmp.resolve("layout"), dev.berth.engine.images.archive.ImportOptions.defaults()
                            .withName("localhost/berth/busybox:latest"));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        try (Engine e = Engine.open(config)) {
            for (TaskStatus t : e.runtime().list(null)) {
                e.runtime().delete(t.namespace(), t.id(), true);
            }
        } finally {
            MountTable.cleanUnder(tmp);
            Cgroups.host().removeEmpty(cgroupParent);
        }
    }

    private JsonNode canary(ApiClient c) {
        return c.get(ObjectsApi.BASE + "/namespaces/default/containers/canary");
    }

    /** POSTs {@code body} to the apply route with curl; the status code and the answer. */
    private String[] curlApply(String filename, Path body) throws Exception {
        Process p = new ProcessBuilder("curl", "-s", "--unix-socket", socket.toString(), "-X", "POST",
                "-H", "Content-Type: application/yaml", "--data-binary", "@" + body,
                "-w", "\n%{http_code}", "http://localhost" + ObjectsApi.BASE + "/apply?filename=" + filename)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        int nl = out.lastIndexOf('\n');
        return new String[] {out.substring(nl + 1), out.substring(0, nl)};
    }

    @Test
    void refusedSpecsAreLocatedThroughTheApiAndTheManifestDirectoryAndDisturbNothing() throws Exception {
        Files.writeString(manifests.resolve("canary.yaml"), IMAGE.formatted("busybox") + """
                ---
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata:
                  name: canary
                spec:
                  image: busybox
                  args: [sleep, "100000"]
                """);
        daemon = Daemon.start(config);
        List<Path> corpus;
        try (var files = Files.list(CORPUS)) {
            corpus = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(corpus.size() >= 20, corpus.toString());
        try (ApiClient c = ApiClient.connect(socket)) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> "Running".equals(
                    canary(c).path("status").path("phase").asText()));
            long pid = canary(c).path("status").path("pid").asLong();
            int events = daemon.events().list(CANARY, 10_000).size();

            // the API: 422 with the located error, for every file
            List<String> wrong = new ArrayList<>();
            for (Path f : corpus) {
                String name = f.getFileName().toString();
                String[] r = curlApply(name, f);
                String want = name + ":" + expected(f);
                if (!r[0].equals("422") || !r[1].contains(want.replace("\"", "\\\""))) {
                    wrong.add(name + ": HTTP " + r[0] + " " + r[1] + " (want 422 with " + want + ")");
                }
            }
            Path empty = Files.writeString(tmp.resolve("empty.yaml"), "# nothing here\n---\n");
            String[] r = curlApply("empty.yaml", empty);
            assertTrue(r[0].equals("422") && r[1].contains("empty.yaml: no objects found"), r[0] + " " + r[1]);
            Path big = tmp.resolve("big.yaml");
            Files.write(big, ("# " + "x".repeat(SpecText.MAX_BYTES) + "\n").getBytes(StandardCharsets.US_ASCII));
            r = curlApply("big.yaml", big);
            assertTrue(r[0].equals("413") && r[1].contains("larger than 3145728 bytes"), r[0] + " " + r[1]);

            // the manifest directory: each file's status carries its error; the watcher survives them all
            for (Path f : corpus) {
                Files.copy(f, manifests.resolve(f.getFileName()));
            }
            Files.copy(big, manifests.resolve("big.yaml"));
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> errors(c).size() == corpus.size() + 1);
            List<JsonNode> errs = errors(c);
            for (Path f : corpus) {
                Path in = manifests.resolve(f.getFileName());
                String want = in + ":" + expected(f);
                if (errs.stream().noneMatch(s -> s.path("error").asText().contains(want))) {
                    wrong.add(in + ": " + errs.stream().filter(s -> s.path("source").asText().endsWith(in.toString()))
                            .map(s -> s.path("error").asText()).toList() + " (want " + want + ")");
                }
            }
            assertEquals(List.of(), wrong);
            Files.writeString(manifests.resolve("later.yaml"), IMAGE.formatted("later"));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> daemon.store().list("Image").size() == 2);

            // the canary: same process, still running, nothing happened to it
            assertEquals("Running", canary(c).path("status").path("phase").asText());
            assertEquals(pid, canary(c).path("status").path("pid").asLong());
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
            assertEquals(events, daemon.events().list(CANARY, 10_000).size(), "no event about the canary");
        }
    }

    /** What a corpus file's error must say ({@code LINE: TEXT}), from its first line {@code # expect: LINE: TEXT}. */
    private static String expected(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        int nl = 0;
        while (b[nl] != '\n') {
            nl++;
        }
        return new String(b, 0, nl, StandardCharsets.US_ASCII).substring("# expect: ".length()).trim();
    }

    private static List<JsonNode> errors(ApiClient c) {
        List<JsonNode> out = new ArrayList<>();
        c.get("/sources").path("items").forEach(s -> {
            if (!s.path("error").isNull() && !s.path("error").asText().isEmpty()) {
                out.add(s);
            }
        });
        return out;
    }
}
