package dev.berth.reconcilers.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuntimeSpecsTest {

    @Test
    void quantitiesBecomeCgroupLimits() {
        Resources r = RuntimeSpecs.resources(new ContainerSpec.Resources("64Mi", "500m", 50L));
        assertEquals(64L << 20, r.memoryLimit());
        assertEquals(50_000L, r.cpuQuota());
        assertEquals(100_000L, r.cpuPeriod());
        assertEquals(50L, r.pidsLimit());
        assertEquals(150_000L, RuntimeSpecs.resources(new ContainerSpec.Resources(null, "1.5", null)).cpuQuota());
        assertEquals(1000L, RuntimeSpecs.resources(new ContainerSpec.Resources(null, "1m", null)).cpuQuota(),
                "the kernel's minimum quota");
        assertEquals(Resources.NONE, RuntimeSpecs.resources(null));
        BerthException e = assertThrows(BerthException.class,
                () -> RuntimeSpecs.resources(new ContainerSpec.Resources("12XB", null, null)));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        assertTrue(e.getMessage().contains("spec.resources.memory"), e.getMessage());
    }

    @Test
    void driftComparesOnlyTheLimitsTheSpecSets() {
        Resources want = RuntimeSpecs.resources(new ContainerSpec.Resources("64Mi", null, 50L));
        Resources same = new Resources(64L << 20, null, 1024L, null, 100_000L, "0-1", 50L);
        assertEquals(List.of(), RuntimeSpecs.drift(want, same));
        List<String> d = RuntimeSpecs.drift(want, same.withMemoryLimit(32L << 20));
        assertEquals(1, d.size());
        assertTrue(d.get(0).startsWith("memory limit 33554432"), d.toString());
        assertEquals(1, RuntimeSpecs.drift(want, same.withPidsLimit(null)).size(), "an unlimited pids.max is drift");
        Resources cpu = RuntimeSpecs.resources(new ContainerSpec.Resources(null, "250m", null));
        assertEquals(1, RuntimeSpecs.drift(cpu, Resources.NONE.withCpuQuota(50_000L, 100_000L)).size());
        assertEquals(0, RuntimeSpecs.drift(cpu, Resources.NONE.withCpuQuota(25_000L, 100_000L)).size());
    }

    @Test
    void removingALimitNeedsARecreate() {
        Resources with = RuntimeSpecs.resources(new ContainerSpec.Resources("64Mi", "1", 10L));
        assertTrue(RuntimeSpecs.liftsLimit(with, with.withMemoryLimit(null)));
        assertTrue(RuntimeSpecs.liftsLimit(with, with.withPidsLimit(null)));
        assertFalse(RuntimeSpecs.liftsLimit(with, with.withMemoryLimit(128L << 20)));
        assertFalse(RuntimeSpecs.liftsLimit(Resources.NONE, with));
    }

    @Test
    void specFieldsReachTheRuntimeSpec() {
        ContainerSpec s = new ContainerSpec("img", List.of("/bin/sh"), List.of("-c", "true"),
                List.of(new ContainerSpec.EnvVar("A", "1"), new ContainerSpec.EnvVar("EMPTY", null)), "/work", "1000:1000",
                new ContainerSpec.Resources("8Mi", null, null),
                List.of(new ContainerSpec.Mount("/data", ContainerSpec.MountType.Bind, "/srv/data", true, List.of("nosuid")),
                        new ContainerSpec.Mount("/scratch", ContainerSpec.MountType.Tmpfs, null, false, null)),
                "box", true, RestartPolicy.Never, null, null, null);
        var r = RuntimeSpecs.toRuntime(s);
        assertEquals(List.of("/bin/sh"), r.command());
        assertEquals(List.of("-c", "true"), r.args());
        assertEquals(List.of("A=1", "EMPTY="), r.env());
        assertEquals("/work", r.workingDir());
        assertEquals("1000:1000", r.user());
        assertEquals("box", r.hostname());
        assertTrue(r.readOnlyRootfs());
        assertEquals(8L << 20, r.resources().memoryLimit());
        assertEquals(new RuntimeSpec.Mount("/data", "bind", "/srv/data", List.of("rbind", "rprivate", "ro", "nosuid")),
                r.mounts().get(0));
        assertEquals(new RuntimeSpec.Mount("/scratch", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "rw")),
                r.mounts().get(1));
        BerthException e = assertThrows(BerthException.class, () -> RuntimeSpecs.mount(
                new ContainerSpec.Mount("/x", ContainerSpec.MountType.Bind, "relative", false, null)));
        assertTrue(e.getMessage().contains("absolute host path"), e.getMessage());
    }
}
