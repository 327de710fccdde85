package dev.berth.controller.kubernetes;

import dev.berth.engine.testing.RootOnly;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.ControllerSettings;
import dev.berth.controller.Daemon;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kubernetes mode through the whole daemon and its real reconcilers: an Image created in the API
 * for this node is unpacked on the node and shows Ready with the API's generation; a spec edit is
 * applied and observed; deleting it cleans the node up before the finalizer lets it go.
 */
@EnableKubernetesMockClient(crud = true)
@RootOnly("needs root for overlay mounts")
class KubernetesDaemonIT {
    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path tmp;
    Fixture f;
    Daemon daemon;

    @BeforeEach
    void setUp() throws Exception {
        Awaitility.setDefaultTimeout(Duration.ofSeconds(60));
        Awaitility.setDefaultPollInterval(Duration.ofMillis(100));
        f = new Fixture(client, Files.createDirectories(tmp.resolve("fixture")));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (f != null) {
            f.close();
        }
        if (tmp != null) {
            MountTable.cleanUnder(tmp);
        }
    }

    private Image kubeImage() {
        return client.resources(Image.class).inNamespace("default").withName("busybox").get();
    }

    private boolean readyAt(long generation) {
        Image i = kubeImage();
        return i != null && i.getStatus() != null && i.getStatus().isReady()
                && Long.valueOf(generation).equals(i.getStatus().getObservedGeneration());
    }

    @Test
    void imageFromTheApiConvergesReportsReadyFollowsEditsAndIsCleanedUpOnDelete() throws Exception {
        Config config = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(ControllerSettings.API_ADDRESS, tmp.resolve("state/berth.sock").toString())
                .with(ControllerSettings.MANIFEST_DIR, tmp.resolve("manifests").toString())
                .with(KubernetesSettings.ENABLED, true)
                .with(KubernetesSettings.NODE_NAME, Fixture.NODE)
                .with(KubernetesSettings.AGENT_NAMESPACE, Fixture.AGENT_NS)
                .with(KubernetesSettings.KUBECONFIG, kubeconfig().toString());
        Files.createDirectories(tmp.resolve("manifests"));
        BuiltImage img = OciImageBuilder.busybox().build();
        try (Engine e = Engine.open(config)) {
            img.writeTo(e.content());
            e.images().put(dev.berth.engine.images.Image.of("localhost/berth/busybox:latest", img.target()));
            e.images().put(dev.berth.engine.images.Image.of("localhost/berth/busybox:other", img.target()));
        }
        f.create("""
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: busybox}
                spec: {ref: "localhost/berth/busybox:latest", pullPolicy: Never, nodeName: %s}
                """.formatted(Fixture.NODE));

        daemon = Daemon.start(config);
        await().until(() -> readyAt(1));
        assertTrue(kubeImage().getStatus().getChainID().startsWith("sha256:"));
        assertTrue(KubeObjects.hasFinalizer(kubeImage()));
        // the daemon's own recorder is mirrored (pull/unpack events depend on what is on the node already)
        daemon.events().warning(new ObjectRef("Image", "default", "busybox"), "Failed", "test event");
        await().until(() -> client.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> "busybox".equals(e.getInvolvedObject().getName()) && "Failed".equals(e.getReason())));

        client.resources(Image.class).inNamespace("default").withName("busybox").edit(i -> {
            i.setSpec(new ImageSpec("localhost/berth/busybox:other", i.getSpec().pullPolicy(), null, null, null,
                    Fixture.NODE));
            return i;
        });
        await().until(() -> readyAt(2));
        assertEquals("localhost/berth/busybox:other", daemon.store().get(new ObjectRef("Image", "default", "busybox"))
                .orElseThrow().spec(ImageSpec.class).ref());

        client.resources(Image.class).inNamespace("default").withName("busybox").delete();
        await().until(() -> kubeImage() == null);
        assertTrue(daemon.store().get(new ObjectRef("Image", "default", "busybox")).isEmpty(),
                "the finalizer came off only after the daemon dropped the object");
    }

    private Path kubeconfig() throws Exception {
        Path p = tmp.resolve("kubeconfig");
        Files.writeString(p, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster: {server: "%s", insecure-skip-tls-verify: true}
                users:
                - name: mock
                  user: {token: test}
                contexts:
                - name: mock
                  context: {cluster: mock, user: mock, namespace: default}
                current-context: mock
                """.formatted(client.getMasterUrl()));
        return p;
    }
}
