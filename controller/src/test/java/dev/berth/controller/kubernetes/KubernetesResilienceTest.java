package dev.berth.controller.kubernetes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.ImageStatus;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The agent when the API server goes away (every connection cut and refused for a while, via a
 * relay in front of the mock server) and when a second agent starts for the same node.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesResilienceTest {
    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path tmp;
    Fixture f;

    @BeforeAll
    static void timeouts() {
        Awaitility.setDefaultTimeout(Duration.ofSeconds(30));
        Awaitility.setDefaultPollInterval(Duration.ofMillis(50));
    }

    @BeforeEach
    void setUp() throws Exception {
        f = new Fixture(client, tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private Image kubeImage(String name) {
        return client.resources(Image.class).inNamespace("default").withName(name).get();
    }

    @Test
    void brokenWatchesAreRecoveredWithoutDeletingAnythingLocally() throws Exception {
        f.create(Fixture.image("a", "localhost/a:1", Fixture.NODE));
        f.create(Fixture.image("b", "localhost/b:1", Fixture.NODE));
        KubernetesAgent agent = f.startAgent(Fixture.NODE);
        ObjectRef a = new ObjectRef("Image", "default", "a");
        ObjectRef b = new ObjectRef("Image", "default", "b");
        ObjectRef c = new ObjectRef("Image", "default", "c");
        await().until(() -> agent.watching() && f.store.get(a).isPresent() && f.store.get(b).isPresent());

        f.relay.cut();
        try {
            // the API is away: status keeps being written locally, nothing is deleted here
            ImageStatus status = new ImageStatus();
            status.setObservedGeneration(1L);
            status.setDigest("sha256:during-outage");
            f.store.updateStatus(a, status);
            // and changes happen in the API meanwhile: an edit, a new object, a deletion
            client.resources(Image.class).inNamespace("default").withName("a").edit(i -> {
                i.setSpec(new ImageSpec("localhost/a:2", null, null, null, null, Fixture.NODE));
                return i;
            });
            f.create(Fixture.image("c", "localhost/c:1", Fixture.NODE));
            client.resources(Image.class).inNamespace("default").withName("b").delete();
            await().until(() -> !agent.watching());
            for (StoredObject s : List.of(f.store.get(a).orElseThrow(), f.store.get(b).orElseThrow())) {
                assertFalse(s.deleting(), s.key() + " is kept while the API is unreachable");
            }
        } finally {
            f.relay.resume();
        }

        // the informers reconnect with exponential backoff (up to half a minute) after a long outage
        await().atMost(Duration.ofSeconds(90)).until(() -> f.store.get(c).isPresent());
        StoredObject edited = await().until(() -> f.store.get(a).orElseThrow(), s -> s.generation() == 2);
        assertEquals("localhost/a:2", edited.spec(ImageSpec.class).ref());
        await().until(() -> f.store.get(b).orElseThrow().deleting());
        f.store.remove(b);
        await().until(() -> kubeImage("b") == null);
        // the status written during the outage reached the API, for the generation it was made for
        await().until(() -> kubeImage("a").getStatus() != null);
        assertEquals("sha256:during-outage", kubeImage("a").getStatus().getDigest());
        assertEquals(1L, kubeImage("a").getStatus().getObservedGeneration());
        await().until(agent::watching);
    }

    @Test
    void oneAgentPerNodeTheSecondWaitsForTheLease() {
        f.create(Fixture.image("a", "localhost/a:1", Fixture.NODE));
        KubernetesAgent first = f.startAgent(Fixture.NODE);
        await().until(first::leading);
        KubernetesAgent second = f.startAgent(Fixture.NODE);
        Lease lease = await().until(() -> client.leases().inNamespace(Fixture.AGENT_NS)
                .withName(NodeLease.leaseName(Fixture.NODE)).get(), l -> l != null && l.getSpec().getHolderIdentity() != null);
        assertEquals(first.options().identity(), lease.getSpec().getHolderIdentity());
        // the second agent has campaigned at least once (it saw the holder) and still waits
        await().during(Duration.ofSeconds(2)).until(() -> !second.leading());
        assertTrue(first.leading());

        first.close(); // releases the lease
        await().until(second::leading);
        await().until(() -> second.options().identity().equals(client.leases().inNamespace(Fixture.AGENT_NS)
                .withName(NodeLease.leaseName(Fixture.NODE)).get().getSpec().getHolderIdentity()));
        await().until(second::watching);
        assertTrue(f.store.get(new ObjectRef("Image", "default", "a")).isPresent());
    }
}
