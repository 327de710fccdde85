package dev.berth.controller.kubernetes;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.container.ContainerSpec;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Kubernetes source and status sink against the CRUD mock API server: what reaches the
 * ObjectStore, what comes back to the status subresource, and the finalizer protocol around
 * deletion. The reconcilers are simulated by writing status into and removing objects from the store.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesSourceTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final ObjectRef WEB_IMAGE = new ObjectRef("Image", "default", "busybox");

    KubernetesMockServer server;
    KubernetesClient client;
    @TempDir
    Path tmp;
    Fixture f;

    @BeforeAll
    static void timeouts() {
        Awaitility.setDefaultTimeout(Duration.ofSeconds(20));
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

    private static ImageStatus readyStatus(long observedGeneration, String digest) {
        ObjectNode s = JSON.createObjectNode();
        s.put("observedGeneration", observedGeneration);
        s.put("digest", digest);
        s.putArray("conditions").addObject().put("type", "Ready").put("status", "True").put("reason", "Pulled")
                .put("message", "pulled " + digest).put("lastTransitionTime", "2026-11-27T10:00:00Z");
        return JSON.treeToValue(s, ImageStatus.class);
    }

    @Test
    void objectForThisNodeReachesTheStoreAndItsStatusComesBackWithTheKubernetesGeneration() {
        f.create(Fixture.image("busybox", "localhost/berth/busybox:1", Fixture.NODE));
        // two spec edits before the agent starts: Kubernetes counts generation 3, the store starts at 1
        for (String tag : new String[] {"2", "3"}) {
            client.resources(Image.class).inNamespace("default").withName("busybox").edit(i -> {
                i.setSpec(new ImageSpec("localhost/berth/busybox:" + tag, null, null, null, null, Fixture.NODE));
                return i;
            });
        }
        assertEquals(3L, kubeImage("busybox").getMetadata().getGeneration());
        f.startAgent(Fixture.NODE);

        StoredObject s = await().until(() -> f.store.get(WEB_IMAGE), Optional::isPresent).get();
        assertEquals(KubeObjects.SOURCE, s.source());
        assertEquals("localhost/berth/busybox:3", s.spec(ImageSpec.class).ref());
        assertEquals(1L, s.generation());
        await().until(() -> KubeObjects.hasFinalizer(kubeImage("busybox")));

        f.store.updateStatus(WEB_IMAGE, readyStatus(1, "sha256:aa"));
        await().until(() -> kubeImage("busybox").getStatus() != null);
        Image img = kubeImage("busybox");
        assertEquals(3L, img.getStatus().getObservedGeneration(), "observedGeneration names the Kubernetes generation");
        assertEquals("sha256:aa", img.getStatus().getDigest());
        assertTrue(img.getStatus().isReady());
        assertEquals(3L, img.getMetadata().getGeneration(), "a status write does not bump the generation");
        assertEquals("localhost/berth/busybox:3", img.getSpec().ref(), "the status write left the spec alone");
    }

    @Test
    void specEditBumpsTheGenerationAndReachesTheStore() {
        f.create(Fixture.image("busybox", "localhost/berth/busybox:1", Fixture.NODE));
        f.startAgent(Fixture.NODE);
        await().until(() -> f.store.get(WEB_IMAGE).isPresent() && KubeObjects.hasFinalizer(kubeImage("busybox")));
        f.store.updateStatus(WEB_IMAGE, readyStatus(1, "sha256:aa"));
        await().until(() -> kubeImage("busybox").getStatus() != null);

        client.resources(Image.class).inNamespace("default").withName("busybox").edit(i -> {
            i.setSpec(new ImageSpec("localhost/berth/busybox:2", null, null, null, null, Fixture.NODE));
            return i;
        });
        assertEquals(2L, kubeImage("busybox").getMetadata().getGeneration());
        StoredObject s = await().until(() -> f.store.get(WEB_IMAGE).orElseThrow(), o -> o.generation() == 2);
        assertEquals("localhost/berth/busybox:2", s.spec(ImageSpec.class).ref());
        assertEquals("2", s.annotations().get(KubeObjects.KUBE_GENERATION));

        f.store.updateStatus(WEB_IMAGE, readyStatus(2, "sha256:bb"));
        await().until(() -> "sha256:bb".equals(kubeImage("busybox").getStatus().getDigest()));
        assertEquals(2L, kubeImage("busybox").getStatus().getObservedGeneration());
    }

    @Test
    void objectForAnotherNodeIsIgnoredAndOneThatMovesAwayIsDeletedHere() {
        f.create(Fixture.container("elsewhere", "busybox", "node-b"));
        f.create(Fixture.container("here", "busybox", Fixture.NODE));
        f.startAgent(Fixture.NODE);
        ObjectRef here = new ObjectRef("Container", "default", "here");
        await().until(() -> f.store.get(here).isPresent());
        assertTrue(f.store.get(new ObjectRef("Container", "default", "elsewhere")).isEmpty());
        Container other = client.resources(Container.class).inNamespace("default").withName("elsewhere").get();
        assertFalse(KubeObjects.hasFinalizer(other), "no finalizer on objects of other nodes");

        client.resources(Container.class).inNamespace("default").withName("here").edit(c -> {
            c.getSpec();
            return f.codec.read("t.yaml", Fixture.container("here", "busybox", "node-b")).stream()
                    .map(d -> {
                        Container moved = (Container) d.object();
                        c.setSpec(moved.getSpec());
                        return c;
                    }).findFirst().orElseThrow();
        });
        await().until(() -> f.store.get(here).map(StoredObject::deleting).orElse(true));
    }

    @Test
    void deletionKeepsTheObjectUntilTheNodeIsCleanedUp() {
        f.create(Fixture.image("busybox", "localhost/berth/busybox:1", Fixture.NODE));
        f.startAgent(Fixture.NODE);
        await().until(() -> f.store.get(WEB_IMAGE).isPresent() && KubeObjects.hasFinalizer(kubeImage("busybox")));

        client.resources(Image.class).inNamespace("default").withName("busybox").delete();
        await().until(() -> f.store.get(WEB_IMAGE).orElseThrow().deleting());
        Image terminating = kubeImage("busybox");
        assertNotNull(terminating, "the finalizer holds the object while the node cleans up");
        assertNotNull(terminating.getMetadata().getDeletionTimestamp());

        f.store.remove(WEB_IMAGE); // what the reconciler does once its cleanup is done
        await().until(() -> kubeImage("busybox") == null);
    }

    @Test
    void objectsThatVanishedWhileTheAgentWasAwayAreDeletedAndOthersKept() {
        CustomResource<?, ?> gone = f.codec.read("t.yaml", Fixture.image("gone", "localhost/x:1", Fixture.NODE)).get(0).object();
        gone.getMetadata().setNamespace("default");
        f.store.apply(gone, KubeObjects.SOURCE, false);
        CustomResource<?, ?> local = f.codec.read("t.yaml", Fixture.image("gone", "localhost/x:1", Fixture.NODE)).get(0).object();
        local.getMetadata().setNamespace("default");
        local.getMetadata().setName("from-file");
        f.store.apply(local, "file:/etc/berth/manifests/x.yaml", false);
        f.create(Fixture.image("busybox", "localhost/berth/busybox:1", Fixture.NODE));

        f.startAgent(Fixture.NODE);
        ObjectRef goneRef = new ObjectRef("Image", "default", "gone");
        await().until(() -> f.store.get(goneRef).orElseThrow().deleting());
        assertTrue(f.store.get(WEB_IMAGE).isPresent());
        assertFalse(f.store.get(WEB_IMAGE).orElseThrow().deleting());
        assertFalse(f.store.get(new ObjectRef("Image", "default", "from-file")).orElseThrow().deleting(),
                "objects of other sources are not the Kubernetes source's to prune");
        assertNull(kubeImage("gone"));
    }

    @Test
    void eventsOfObjectsFromKubernetesArePostedAndRepeatsCounted() {
        f.create(Fixture.image("busybox", "localhost/berth/busybox:1", Fixture.NODE));
        KubernetesAgent agent = f.startAgent(Fixture.NODE);
        await().until(() -> f.store.get(WEB_IMAGE).isPresent() && agent.watching());
        f.recorder.normal(new ObjectRef("Image", "default", "local-only"), "Pulled", "not from Kubernetes");
        f.recorder.normal(WEB_IMAGE, "Pulled", "pulled localhost/berth/busybox:1");
        var ev = await().until(() -> client.v1().events().inNamespace("default").list().getItems(),
                l -> l.stream().anyMatch(e -> "Pulled".equals(e.getReason())));
        assertEquals(1, ev.size(), "only objects from Kubernetes have their events mirrored");
        var e = ev.get(0);
        assertEquals("busybox", e.getInvolvedObject().getName());
        assertEquals("Image", e.getInvolvedObject().getKind());
        assertEquals("berth.dev/v1alpha1", e.getInvolvedObject().getApiVersion());
        assertEquals(kubeImage("busybox").getMetadata().getUid(), e.getInvolvedObject().getUid());
        assertEquals("Normal", e.getType());
        assertEquals(Fixture.NODE, e.getSource().getHost());
        assertEquals(1, e.getCount());

        f.recorder.normal(WEB_IMAGE, "Pulled", "pulled localhost/berth/busybox:1");
        await().until(() -> client.v1().events().inNamespace("default").withName(e.getMetadata().getName()).get()
                .getCount() == 2);
        f.recorder.warning(WEB_IMAGE, "Failed", "pull failed: connection refused");
        await().until(() -> client.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(x -> "Failed".equals(x.getReason()) && "Warning".equals(x.getType())));
    }

    @Test
    void aTerminatingObjectNeverGetsTheFinalizerAndOneWithNothingOnTheNodeIsReleased() {
        // the mock accepts new finalizers on terminating objects (a real server answers 422): the
        // agent itself must not try
        Image held = f.create(Fixture.image("held", "localhost/held:1", Fixture.NODE));
        held.getMetadata().getFinalizers().add("example.com/hold");
        client.resource(held).update();
        client.resources(Image.class).inNamespace("default").withName("held").delete();
        // left over from an earlier agent whose local state is gone: nothing to clean up here
        Image orphan = f.create(Fixture.image("orphan", "localhost/orphan:1", Fixture.NODE));
        orphan.getMetadata().getFinalizers().add(KubeObjects.FINALIZER);
        orphan.getMetadata().getFinalizers().add("example.com/hold");
        client.resource(orphan).update();
        client.resources(Image.class).inNamespace("default").withName("orphan").delete();

        f.create(Fixture.image("busybox", "localhost/berth/busybox:1", Fixture.NODE));
        f.startAgent(Fixture.NODE);
        await().until(() -> !KubeObjects.hasFinalizer(kubeImage("orphan")));
        await().until(() -> f.store.get(WEB_IMAGE).isPresent() && KubeObjects.hasFinalizer(kubeImage("busybox")));
        assertFalse(KubeObjects.hasFinalizer(kubeImage("held")));
        assertTrue(f.store.get(new ObjectRef("Image", "default", "held")).isEmpty());
        assertTrue(f.store.get(new ObjectRef("Image", "default", "orphan")).isEmpty());
    }

    @Test
    void anInvalidObjectIsReportedAndStallsNeitherItsKindNorItsLastGoodSpec() {
        f.create(Fixture.container("good", "busybox", Fixture.NODE));
        f.create(Fixture.container("edited", "busybox", Fixture.NODE));
        // a quantity the schema lets through (int-or-string) but Berth cannot parse
        var ctx = io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.fromResourceType(Container.class);
        var bad = io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: bad, namespace: default}
                spec: {image: busybox, nodeName: node-a, resources: {memory: 12XB}}
                """, io.fabric8.kubernetes.api.model.GenericKubernetesResource.class);
        client.genericKubernetesResources(ctx).inNamespace("default").resource(bad).create();
        f.startAgent(Fixture.NODE);
        ObjectRef good = new ObjectRef("Container", "default", "good");
        ObjectRef edited = new ObjectRef("Container", "default", "edited");
        ObjectRef badRef = new ObjectRef("Container", "default", "bad");
        await().until(() -> f.store.get(good).isPresent() && f.store.get(edited).isPresent());
        await().until(() -> f.recorder.list(badRef, 10).stream().anyMatch(e -> e.reason().equals("InvalidSpec")
                && e.message().contains("spec.resources.memory")));
        assertTrue(f.store.get(badRef).isEmpty());

        client.genericKubernetesResources(ctx).inNamespace("default").withName("edited").edit(g -> {
            g.<java.util.Map<String, Object>>get("spec").put("resources", java.util.Map.of("memory", "12XB"));
            return g;
        });
        await().until(() -> f.recorder.list(edited, 10).stream().anyMatch(e -> e.reason().equals("InvalidSpec")));
        StoredObject kept = f.store.get(edited).orElseThrow();
        assertEquals(1L, kept.generation(), "the last good spec stays in force");
        ContainerSpec keptSpec = kept.spec(ContainerSpec.class);
        assertTrue(keptSpec.resources() == null || keptSpec.resources().memory() == null);
    }
}
