package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.status.Condition;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.RootOnly;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Probes through the whole daemon: with resync an hour away, a readiness probe that starts
 * succeeding turns the Container Ready by itself (the prober enqueues the Container when a result
 * flips), and removing the manifest stops probing and removes the task.
 */
@RootOnly("needs root for runc, overlay mounts and cgroups")
class DaemonProbesIT {
    Path tmp;
    Config config;
    String parent = "/berth-probes-it-" + UUID.randomUUID().toString().substring(0, 8);
    Daemon daemon;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("berth-probes-");
        config = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(CgroupSettings.CGROUP_PARENT, parent)
                .with(ControllerSettings.API_ADDRESS, tmp.resolve("state/berth.sock").toString())
                .with(ControllerSettings.RESYNC_INTERVAL, Duration.ofHours(1))
                .with(ControllerSettings.MANIFEST_DIR, tmp.resolve("manifests").toString());
        Files.createDirectories(tmp.resolve("manifests"));
        BuiltImage img = OciImageBuilder.busybox().build();
        try (Engine e = Engine.open(config)) {
            img.importInto(e, tmp.resolve("layout"), "localhost/berth/busybox:latest");
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        HostCleanup.under(tmp).runcRoot("runc", tmp.resolve("state/runc"), true).cgroup(parent).then(() -> {
            if (daemon != null) {
                daemon.close();
            }
        }).close();
    }

    private Optional<ContainerStatus> status(String name) {
        return daemon.store().get(new ObjectRef("Container", "default", name)).map(StoredObject::status)
                .map(ContainerStatus.class::cast);
    }

    @Test
    void aProbeThatStartsSucceedingMakesTheContainerReadyWithoutAResync() throws Exception {
        Files.writeString(tmp.resolve("manifests/web.yaml"), """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: busybox}
                spec: {ref: "localhost/berth/busybox:latest", pullPolicy: Never}
                ---
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: late}
                spec:
                  image: busybox
                  command: [sh, -c]
                  args: ["trap 'exit 0' TERM; sleep 3; touch /tmp/ready; sleep 1000 & wait"]
                  readinessProbe:
                    exec: {command: [test, -f, /tmp/ready]}
                    periodSeconds: 1
                """);
        daemon = Daemon.start(config);
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> status("late")
                .flatMap(s -> s.condition(Condition.READY)).map(c -> "WaitingForProbe".equals(c.reason())
                        || "ProbeFailed".equals(c.reason())).orElse(false));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> status("late")
                .map(ContainerStatus::isReady).orElse(false));
        ContainerStatus st = status("late").orElseThrow();
        assertEquals("Ready", st.condition(Condition.READY).orElseThrow().reason());
        assertEquals("Success", st.getProbes().get(0).result());
        assertEquals("spec.readinessProbe", st.getProbes().get(0).source());

        Files.delete(tmp.resolve("manifests/web.yaml"));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> status("late").isEmpty()
                && daemon.engine().runtime().find("default", "late").isEmpty());
        assertTrue(daemon.engine().runtime().list(null).isEmpty());
    }
}
