package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.cli.CliHarness;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.cgroups.CgroupPaths;
import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.containers.ContainerInfo;
import dev.berth.engine.containers.Containers;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RootOnly;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One container path: a container the Container reconciler made from a manifest and one
 * {@code berth run} made (forwarded to the same daemon) come out of the one containers service with
 * the same bundle layout, cgroups path form, rootfs snapshot form and record, and both announce
 * containerd's container and task events on the engine's bus.
 */
@RootOnly("needs root for overlay mounts, runc and cgroups")
class OneContainerPathIT {
    static final String NS = "default";
    static final String IMAGE = "localhost/berth/busybox:latest";

    @TempDir
    Path tmp;
    final String suffix = UUID.randomUUID().toString().substring(0, 8);
    final String parent = "/berth-onepath-it-" + suffix;
    Config config;
    Path cliConfig;
    Daemon daemon;

    @BeforeEach
    void setUp() throws Exception {
        Path sock = tmp.resolve("state/berth.sock");
        config = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(CgroupSettings.CGROUP_PARENT, parent)
                .with(ControllerSettings.API_ADDRESS, sock.toString())
                .with(ControllerSettings.MANIFEST_DIR, tmp.resolve("manifests").toString());
        cliConfig = tmp.resolve("config.toml");
        Files.writeString(cliConfig, "version = 3\nroot = \"" + tmp.resolve("root") + "\"\nstate = \"" + tmp.resolve("state")
                + "\"\n[plugins.\"dev.berth.v1\"]\napi_address = \"" + sock + "\"\nlog_dir = \"" + tmp.resolve("logs")
                + "\"\ncgroup_parent = \"" + parent + "\"\n");
        Files.createDirectories(tmp.resolve("manifests"));
        var img = OciImageBuilder.busybox().build();
        try (Engine e = Engine.open(config)) {
            img.writeLayout(tmp.resolve("layout"), "latest");
            new dev.berth.engine.images.archive.ImageImporter(e.content(), e.images(), e.leases()).importFrom(
                    tmp.resolve("layout"), dev.berth.engine.images.archive.ImportOptions.defaults().withName(IMAGE));
        }
    }

    @AfterEach
    void tearDown() {
        HostCleanup.under(tmp).runcRoot("runc", tmp.resolve("state/runc"), true).cgroup(parent).then(() -> {
            if (daemon != null) {
                daemon.close();
            }
        }).close();
    }

    private boolean ready(String name) {
        // as the API shows it
        return daemon.store().get(new ObjectRef("Container", NS, name)).map(StoredObject::status)
                .map(s -> new SpecCodec().jsonMapper().valueToTree(s).path("phase").asString().equals("Running"))
                .orElse(false);
    }

    @Test
    void reconcilerAndRunMakeTheSameContainer() throws Exception {
        // as `berth daemon` starts it: with the route that runs forwarded commands
        daemon = Daemon.start(config, java.time.Clock.systemUTC(),
                d -> dev.berth.controller.cli.Forwarding.serve(d.api(), d.engine()));
        List<EngineEvent> seen = new CopyOnWriteArrayList<>();
        AutoCloseable sub = daemon.engine().events().subscribe(seen::add);
        String declared = "declared-" + suffix;
        String run = "run-" + suffix;
        Files.writeString(tmp.resolve("manifests/c.yaml"), """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata:
                  name: busybox
                spec:
                  ref: %s
                  pullPolicy: Never
                ---
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata:
                  name: %s
                spec:
                  image: busybox
                  args: ["sleep", "1000"]
                """.formatted(IMAGE, declared));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> daemon.engine().containers().task(NS, declared)
                .map(t -> t.state().alive()).orElse(false) && ready(declared));

        CliHarness.Run r = CliHarness.berth(cliConfig, "run", "-d", IMAGE, run, "sleep", "1000");
        assertEquals(0, r.code(), r.err());
        // a foreground run in the daemon: the same path, and --rm tears it all down again
        CliHarness.Run fg = CliHarness.berth(cliConfig, "run", "--rm", IMAGE, "fg-" + suffix, "sh", "-c", "echo fg; exit 3");
        assertEquals(3, fg.code(), fg.err());
        assertTrue(fg.out().contains("fg"), fg.out());
        assertTrue(daemon.engine().containers().find(NS, "fg-" + suffix).isEmpty());
        assertTrue(!Files.exists(daemon.engine().runtime().bundle(NS, "fg-" + suffix)));

        Engine engine = daemon.engine();
        Containers containers = engine.containers();
        ContainerInfo a = containers.find(NS, declared).orElseThrow();
        ContainerInfo b = containers.find(NS, run).orElseThrow();
        CgroupPaths cgroups = engine.runtime().cgroupPaths();
        for (ContainerInfo c : List.of(a, b)) {
            assertEquals(engine.runtime().bundle(NS, c.id()), c.bundle(), "bundle of " + c.id());
            assertEquals(c.bundle().resolve("rootfs"), c.rootfs());
            assertTrue(MountTable.isMountPoint(c.rootfs()), c.rootfs() + " is mounted");
            assertEquals(Containers.snapshotKey(NS, c.id()), c.snapshotKey());
            assertTrue(containers.rootfsExists(NS, c.id()));
            assertEquals(cgroups.specPath(NS, c.id()), c.cgroupsPath(), "cgroups path of " + c.id());
            assertEquals(IMAGE, c.image());
            assertEquals(Containers.RUNTIME, c.runtime());
            RuntimeSpec spec = RuntimeSpec.fromJson(Files.readAllBytes(c.bundle().resolve("config.json")), "config.json");
            assertEquals(c.cgroupsPath(), spec.linux().cgroupsPath(), "the runtime kept the service's cgroups path");
            assertEquals(c.rootfs().toString(), spec.root().path());
            TaskStatus t = containers.task(NS, c.id()).orElseThrow();
            assertEquals(c.bundle().toString(), t.bundle());
            assertEquals(CgroupPaths.toRelative(c.cgroupsPath()), t.cgroupPath());
        }
        assertEquals(a.snapshotter(), b.snapshotter());
        assertEquals(a.bundle().getParent(), b.bundle().getParent());
        assertEquals(files(a.bundle()), files(b.bundle()), "same bundle layout");
        assertEquals(a.labels(), b.labels());
        assertNotNull(a.extensions().get("berth.dev/container-reconciler"), "the reconciler's state is in the record");
        assertTrue(b.extensions().isEmpty(), b.extensions().toString());
        assertEquals(Set.of(declared, run), containers.list(NS).stream().map(ContainerInfo::id)
                .filter(id -> id.endsWith(suffix)).collect(Collectors.toSet()));

        for (String topic : List.of(EngineEvent.CONTAINER_CREATE, EngineEvent.TASK_CREATE, EngineEvent.TASK_START)) {
            assertTrue(seen.stream().anyMatch(e -> e.topic().equals(topic) && NS.equals(e.namespace())
                    && (run.equals(e.field("id")) || run.equals(e.field("container_id")))), topic + " for " + run
                    + " in " + seen);
        }

        CliHarness.Run rm = CliHarness.berth(cliConfig, "containers", "rm", "-f", run);
        assertEquals(0, rm.code(), rm.err());
        assertTrue(containers.find(NS, run).isEmpty() && containers.task(NS, run).isEmpty());
        assertTrue(!Files.exists(b.bundle()), "bundle removed");
        assertTrue(seen.stream().anyMatch(e -> e.topic().equals(EngineEvent.CONTAINER_DELETE) && run.equals(e.field("id"))));

        Files.delete(tmp.resolve("manifests/c.yaml"));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> containers.find(NS, declared).isEmpty()
                && containers.task(NS, declared).isEmpty());
        assertTrue(!Files.exists(a.bundle()), "bundle removed");
        sub.close();
    }

    private static Set<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
