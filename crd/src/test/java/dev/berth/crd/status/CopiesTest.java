package dev.berth.crd.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.berth.crd.Berth;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.snapshot.SnapshotStatus;
import io.fabric8.kubernetes.client.CustomResource;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The copies the daemon hands to reconciles: a status of their own, everything else shared. */
class CopiesTest {
    @Test
    void aStatusCopyIsEqualButEditsStayInIt() {
        ContainerStatus s = new ContainerStatus();
        s.setPhase(ContainerPhase.Running);
        s.setRestartCount(2);
        s.setCondition(Condition.of(Condition.READY, true, "Running", "up"), Clock.systemUTC());
        ContainerStatus c = (ContainerStatus) s.copy();
        assertEquals(s, c);
        assertNotSame(s.getConditions(), c.getConditions());
        c.setCondition(Condition.of(Condition.READY, false, "Exited", "down"), Clock.systemUTC());
        c.setRestartCount(3);
        assertNotEquals(s, c);
        assertEquals(List.of("Running"), s.getConditions().stream().map(Condition::reason).toList());
        assertEquals(2, s.getRestartCount());

        SnapshotStatus snap = new SnapshotStatus();
        snap.setMounts(List.of(new SnapshotStatus.MountInfo("overlay", "overlay", List.of("ro"))));
        SnapshotStatus snapCopy = snap.copy();
        snapCopy.getMounts().clear();
        assertEquals(1, snap.getMounts().size(), "lists are the copy's own");
    }

    @Test
    void everyKindHasAShallowCopySharingMetadataAndSpec() {
        Container c = (Container) new SpecCodec().read("t.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: web}
                spec: {image: busybox}
                """).get(0).object();
        CustomResource<?, ?> copy = c.shallowCopy();
        assertSame(c.getMetadata(), copy.getMetadata());
        assertSame(c.getSpec(), copy.getSpec());
        assertEquals("Container", copy.getKind());
        assertEquals(Berth.API_VERSION, copy.getApiVersion());
        for (Class<? extends CustomResource<?, ?>> kind : Berth.KINDS) {
            assertEquals(true, BerthObject.class.isAssignableFrom(kind), kind + " offers shallowCopy");
        }
    }
}
