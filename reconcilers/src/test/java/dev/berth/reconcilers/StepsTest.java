package dev.berth.reconcilers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.crd.container.ContainerStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StepsTest {
    private final ContainerStatus st = new ContainerStatus();

    private Steps<List<String>, ContainerStatus> steps() {
        return Steps.<List<String>, ContainerStatus>first("one", p -> {
            p.add("one");
            return Optional.empty();
        }).then("two", p -> {
            p.add("two");
            return p.contains("stop") ? Optional.of(Outcome.requeueAfter(st, java.time.Duration.ofSeconds(1)))
                    : Optional.empty();
        }).then("boom", p -> {
            if (p.contains("boom")) {
                throw new IllegalStateException("boom");
            }
            return Optional.empty();
        }).last("report", p -> {
            p.add("report");
            return Outcome.converged(st);
        });
    }

    @Test
    void stepsRunInOrderUntilOneEndsTheReconcile() throws Exception {
        List<String> all = new ArrayList<>();
        assertEquals(Result.converged(), steps().run(all).result());
        assertEquals(List.of("one", "two", "report"), all);

        List<String> early = new ArrayList<>(List.of("stop"));
        Outcome<ContainerStatus> out = steps().run(early);
        assertSame(st, out.status());
        assertEquals(List.of("stop", "one", "two"), early, "no step runs after the one that ended the reconcile");

        assertThrows(IllegalStateException.class, () -> steps().run(new ArrayList<>(List.of("boom"))));
        assertEquals(List.of("one", "two", "boom", "report"), steps().names());
        assertEquals("one → two → boom → report", steps().toString());
    }

    @Test
    void aFailureKeepsWhatWasObservedUntilThen() {
        Outcome<ContainerStatus> failed = steps().runKeepingStatus(() -> new ArrayList<>(List.of("boom")), st);
        assertSame(st, failed.status());
        assertEquals("boom", failed.failure().getMessage());
        Outcome<ContainerStatus> unobservable = steps().runKeepingStatus(() -> {
            throw new IllegalArgumentException("spec.ref: bad");
        }, st);
        assertSame(st, unobservable.status());
        assertEquals("spec.ref: bad", unobservable.failure().getMessage());
        assertEquals(Result.converged(), steps().runKeepingStatus(ArrayList::new, st).result());
    }
}
