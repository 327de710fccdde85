package dev.berth.reconcilers.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.image.ImageStatus.Rollout;
import dev.berth.crd.image.ImageStatus.RolloutPhase;
import dev.berth.crd.status.Condition;
import dev.berth.crd.status.Conditions;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code berth rollout status} says of one Container, from the Image's and the Container's status. */
class RolloutProgressTest {
    private static final String D1 = "sha256:" + "1".repeat(64);
    private static final String D2 = "sha256:" + "2".repeat(64);
    private final SpecCodec codec = new SpecCodec();

    private Image image(Rollout r) {
        Image i = (Image) codec.decode("t", "apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: web}\n"
                + "spec: {ref: busybox, pullPolicy: Always}\n").get(0).object();
        ImageStatus st = new ImageStatus();
        st.setDigest(r == null ? D1 : r.to());
        st.setRollout(r);
        i.setStatus(st);
        return i;
    }

    private Container container(String name, String runs, boolean ready) {
        Container c = (Container) codec.decode("t", "apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata: {name: "
                + name + "}\nspec: {image: web, progressDeadlineSeconds: 30}\n").get(0).object();
        ContainerStatus st = new ContainerStatus();
        st.setImageDigest(runs);
        st.setPhase(ContainerPhase.Running);
        Conditions.set(st.getConditions(), Condition.of(Condition.READY, ready, ready ? "Ready" : "ProbeFailed",
                ready ? "ok" : "exec [test -f /ready] exited 1"), Clock.systemUTC());
        c.setStatus(st);
        return c;
    }

    @Test
    void withoutARolloutAReadyContainerOnTheDigestIsComplete() {
        RolloutProgress p = RolloutProgress.of(image(null), container("a", D1, true));
        assertEquals("Complete", p.state());
        assertTrue(p.done() && !p.failed(), p.toString());
        assertEquals("Container a runs " + D1 + " and is Ready", p.message());
        RolloutProgress notReady = RolloutProgress.of(image(null), container("a", D1, false));
        assertFalse(notReady.done());
        assertTrue(notReady.message().contains("is not Ready (ProbeFailed: exec [test -f /ready] exited 1)"),
                notReady.message());
    }

    @Test
    void duringARolloutTheCurrentOneProgressesAndTheOthersWait() {
        Rollout r = new Rollout(D1, D2, RolloutPhase.Progressing, List.of("a"), "b", "2026-12-03T13:00:00Z", "rolling");
        RolloutProgress a = RolloutProgress.of(image(r), container("a", D2, true));
        assertEquals("Complete", a.state());
        assertEquals("Container a runs " + D2 + " and is Ready (rolled out from " + D1 + ")", a.message());
        RolloutProgress b = RolloutProgress.of(image(r), container("b", D1, true));
        assertEquals("Progressing", b.state());
        assertEquals(D2, b.wants());
        assertTrue(b.message().contains("progress deadline 30s") && b.message().contains("runs " + D1), b.message());
        RolloutProgress c = RolloutProgress.of(image(r), container("c", D1, true));
        assertEquals("Queued", c.state());
        assertEquals(D1, c.wants());
        assertFalse(c.done());
    }

    @Test
    void aRollbackFailsUnlessAnUndoAskedForIt() {
        Rollout failed = new Rollout(D1, D2, RolloutPhase.RolledBack, List.of(), null, null,
                "Container b did not become Ready");
        RolloutProgress back = RolloutProgress.of(image(failed), container("b", D1, true));
        assertEquals("RolledBack", back.state());
        assertTrue(back.done() && back.failed(), back.toString());
        RolloutProgress going = RolloutProgress.of(image(failed), container("b", D2, true));
        assertFalse(going.done());
        assertTrue(going.message().endsWith("is going back to " + D1), going.message());
        Rollout undone = new Rollout(D1, D2, RolloutPhase.RolledBack, List.of(), null, null,
                "rolled back to " + D1 + " " + ImageRollout.UNDONE);
        RolloutProgress asked = RolloutProgress.of(image(undone), container("b", D1, true));
        assertTrue(asked.done() && !asked.failed(), asked.toString());
    }
}
