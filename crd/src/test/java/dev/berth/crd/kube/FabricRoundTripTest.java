package dev.berth.crd.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.status.Condition;
import dev.berth.crd.status.Conditions;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/**
 * The Berth types as fabric8's client and an API server see them: the generated CRD registers,
 * a Container decoded from an example is created through fabric8's own serialization, the status
 * subresource takes a status written by an agent, and a spec-only view comes back intact.
 */
@EnableKubernetesMockClient(crud = true)
class FabricRoundTripTest {
    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void containerSpecAndStatusRoundTripThroughTheApi() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/fabric8/containers.berth.dev-v1.yml")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
            client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        }
        SpecCodec codec = new SpecCodec();
        Container local = (Container) codec.read(Path.of("..", "examples", "local", "web-server.yaml")).stream()
                .map(o -> o.object()).filter(Container.class::isInstance).findFirst().orElseThrow();
        local.getMetadata().setNamespace("default");

        Container created = client.resources(Container.class).inNamespace("default").resource(local).create();
        assertEquals(local.getSpec(), created.getSpec(), "records, enums and quantities survive fabric8's mapper");
        assertEquals(1L, created.getMetadata().getGeneration());
        assertNull(created.getStatus());

        ContainerStatus status = new ContainerStatus();
        status.setObservedGeneration(created.getMetadata().getGeneration());
        status.setPhase(ContainerPhase.Running);
        status.setPid(4242);
        status.setRestartCount(0);
        status.setLimits(new ContainerStatus.Limits(32L << 20, 25_000L, 100_000L, null));
        Conditions.set(status.getConditions(), Condition.of(Condition.READY, true, "Running", "pid 4242"), Clock.systemUTC());
        created.setStatus(status);
        Container written = client.resources(Container.class).inNamespace("default").resource(created).updateStatus();
        assertEquals(status, written.getStatus());

        Container read = client.resources(Container.class).inNamespace("default").withName("web").get();
        assertNotNull(read);
        assertEquals(status, read.getStatus());
        assertTrue(read.getStatus().isReady());
        assertEquals(local.getSpec(), read.getSpec());
        assertEquals(1L, read.getMetadata().getGeneration(), "a status write does not bump the generation");
    }
}
