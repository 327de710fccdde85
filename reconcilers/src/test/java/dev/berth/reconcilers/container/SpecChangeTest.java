package dev.berth.reconcilers.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.DesiredState;
import dev.berth.crd.container.RestartPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecChangeTest {
    private static ContainerSpec spec(List<String> args, List<ContainerSpec.EnvVar> env, ContainerSpec.Resources r,
            RestartPolicy policy, DesiredState state) {
        return new ContainerSpec("busybox", null, args, env, null, null, r, null, null, false, policy, state, null, null);
    }

    private final ContainerSpec base = spec(List.of("httpd"), List.of(new ContainerSpec.EnvVar("A", "1")),
            new ContainerSpec.Resources("64Mi", "500m", 100L), null, null);

    @Test
    void identicalSpecsNeedNothing() {
        SpecChange c = SpecChange.between(base, spec(List.of("httpd"), List.of(new ContainerSpec.EnvVar("A", "1")),
                new ContainerSpec.Resources("64Mi", "500m", 100L), RestartPolicy.Always, DesiredState.Running));
        assertTrue(c.none(), c.toString());
        assertEquals(List.of(), c.fields());
    }

    @Test
    void resourcesAloneAreALiveUpdate() {
        SpecChange c = SpecChange.between(base, spec(List.of("httpd"), List.of(new ContainerSpec.EnvVar("A", "1")),
                new ContainerSpec.Resources("128Mi", "500m", 100L), null, null));
        assertTrue(c.resources());
        assertFalse(c.recreate());
        assertEquals(List.of("spec.resources"), c.fields());
    }

    @Test
    void envOrArgsRecreateAndSubsumeResources() {
        SpecChange c = SpecChange.between(base, spec(List.of("httpd", "-f"), List.of(new ContainerSpec.EnvVar("A", "2")),
                new ContainerSpec.Resources("128Mi", "500m", 100L), null, null));
        assertTrue(c.recreate());
        assertFalse(c.resources(), "a recreate applies the new limits anyway");
        assertEquals(List.of("spec.args", "spec.env", "spec.resources"), c.fields());
    }

    @Test
    void stateAndPolicyChanges() {
        SpecChange stop = SpecChange.between(base, spec(List.of("httpd"), List.of(new ContainerSpec.EnvVar("A", "1")),
                new ContainerSpec.Resources("64Mi", "500m", 100L), null, DesiredState.Stopped));
        assertTrue(stop.state());
        assertFalse(stop.recreate());
        SpecChange policy = SpecChange.between(base, spec(List.of("httpd"), List.of(new ContainerSpec.EnvVar("A", "1")),
                new ContainerSpec.Resources("64Mi", "500m", 100L), RestartPolicy.Never, null));
        assertTrue(policy.none());
        assertEquals(List.of("spec.restartPolicy"), policy.fields());
        assertTrue(SpecChange.between(null, base).recreate());
    }
}
