package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.Probe;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.engine.containers.ContainerInfo;
import dev.berth.engine.runtime.TaskState;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A surge's promotion has two writes to the node: the new revision's record loses its surge label,
 * then the old revision is removed. A daemon that stops between them (here: the label dropped as the
 * promotion does, then the engine closed and opened again with a new reconciler and prober, the
 * tasks left running as conmon keeps them) must take the newer revision as the current one and
 * remove the older one — its task, rootfs snapshot, bundle and record — and nothing else.
 */
class PromotionCutByARestartIT {
    ContainerFixture f;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        f = new ContainerFixture();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void theNewerRevisionIsCurrentAndTheOlderIsRemoved() throws Exception {
        // Ready 2 s after its start: long enough to cut the surge before its own promotion
        ContainerSpec spec = new ContainerSpec(ContainerFixture.IMAGE, List.of("sh", "-c"),
                List.of("trap 'exit 0' TERM; sleep 2; touch /tmp/ready; sleep 1000 & wait"), null, null, null, null,
                null, null, false, RestartPolicy.Always, null, null, null)
                .withProbes(null, null, Probe.exec("test", "-f", "/tmp/ready").timed(null, 1, null, null, 1));
        Container c = f.container(f.name("cut"), spec);
        String name = c.getMetadata().getName();
        f.reconcileUntil(c, x -> x.getStatus() != null && x.getStatus().isReady());
        String oldId = c.getStatus().getContainerID();
        assertEquals(name, oldId);

        var v2 = dev.berth.engine.testing.OciImageBuilder.busybox().env("IMAGE_VERSION=2").build();
        v2.writeTo(f.engine.content());
        dev.berth.crd.image.Image img = (dev.berth.crd.image.Image) f.objects.get(
                new ObjectRef("Image", NS, ContainerFixture.IMAGE));
        String d2 = v2.target().digest().toString();
        f.engine.images().put(dev.berth.engine.images.Image.of(f.imageRef, v2.target()));
        img.getStatus().setDigest(d2);
        String sid = RuntimeIds.surgeId(name, d2);
        f.reconcileUntil(c, x -> x.getStatus().getSurge() != null
                && f.engine.runtime().find(NS, sid).map(t -> t.state() == TaskState.RUNNING).orElse(false));
        assertTrue(c.getStatus().isReady(), "the old task serves while the new one starts");

        // the promotion's first write, then the daemon goes
        ContainerInfo surge = f.engine.containers().find(NS, sid).orElseThrow();
        Map<String, String> labels = new HashMap<>(surge.labels());
        assertEquals(name, labels.remove(RuntimeIds.SURGE_LABEL));
        f.engine.containers().setLabels(NS, sid, labels);
        f.reopen();

        f.reconcileUntil(c, x -> x.getStatus().getPhase() == ContainerPhase.Running && x.getStatus().isReady()
                && d2.equals(x.getStatus().getImageDigest()));
        assertEquals(sid, c.getStatus().getContainerID());
        assertTrue(f.events.stream().anyMatch(e -> e.startsWith(name + " SurgeComplete: removed the old task " + NS
                + "/" + oldId + ", replaced by " + NS + "/" + sid + " before a restart")), f.events.toString());
        assertTrue(f.engine.runtime().find(NS, oldId).isEmpty(), "old task removed");
        assertTrue(f.engine.containers().find(NS, oldId).isEmpty(), "old record removed");
        assertFalse(f.engine.snapshotter().find(ContainerReconciler.snapshotKey(NS, oldId)).isPresent(),
                "old rootfs snapshot removed");
        assertFalse(Files.exists(f.tmp.resolve("state/tasks").resolve(NS).resolve(oldId)), "old bundle removed");
        assertEquals(List.of(sid), f.engine.containers().list(NS).stream().map(ContainerInfo::id)
                .filter(id -> RuntimeIds.ownedBy(id, name)).toList());
        assertNotNull(f.engine.runtime().find(NS, sid).orElseThrow());
        assertEquals(0, c.getStatus().getRestartCount());
        f.reconciler.cleanup(c, dev.berth.reconcilers.Context.first(f.clock));
        assertTrue(f.engine.containers().list(NS).stream().noneMatch(i -> RuntimeIds.ownedBy(i.id(), name)));
    }
}
