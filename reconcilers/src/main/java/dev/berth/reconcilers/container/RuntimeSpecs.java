package dev.berth.reconcilers.container;

import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.quantity.QuantityException;
import dev.berth.crd.quantity.Quantities;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Translates a Container object's spec into what the engine's runtime takes: the runtime
 * {@code ContainerSpec} and the cgroup {@link Resources}. CPU is a CFS quota over a 100 ms period
 * ({@code 500m} = 50000/100000 us), as kubelet sets it. Also compares desired limits with the limits
 * read back from the cgroup (drift). Stateless and thread-safe.
 */
final class RuntimeSpecs {
    /** kubelet's CFS period. */
    static final long CPU_PERIOD_MICROS = 100_000;

    private RuntimeSpecs() {
    }

    static dev.berth.engine.runtime.spec.ContainerSpec toRuntime(ContainerSpec s) {
        var b = dev.berth.engine.runtime.spec.ContainerSpec.builder();
        if (s.command() != null) {
            b.command(s.command());
        }
        if (s.args() != null) {
            b.args(s.args());
        }
        if (s.env() != null) {
            for (ContainerSpec.EnvVar e : s.env()) {
                b.env(e.name(), e.value() == null ? "" : e.value());
            }
        }
        b.workingDir(s.workingDir()).user(s.user()).hostname(s.hostname())
                .readOnlyRootfs(s.readOnlyRootFilesystem()).resources(resources(s.resources()));
        if (s.mounts() != null) {
            for (ContainerSpec.Mount m : s.mounts()) {
                b.mount(mount(m));
            }
        }
        return b.build();
    }

    static RuntimeSpec.Mount mount(ContainerSpec.Mount m) {
        List<String> options = new ArrayList<>();
        String type;
        String source;
        if (m.type() == ContainerSpec.MountType.Tmpfs) {
            type = "tmpfs";
            source = "tmpfs";
            options.addAll(List.of("nosuid", "nodev"));
        } else {
            if (m.source() == null || !m.source().startsWith("/")) {
                throw BerthException.invalid("spec.mounts[%s].source: a Bind mount needs an absolute host path, got '%s'",
                        m.destination(), m.source());
            }
            type = "bind";
            source = m.source();
            options.addAll(List.of("rbind", "rprivate"));
        }
        options.add(m.readOnly() ? "ro" : "rw");
        if (m.options() != null) {
            options.addAll(m.options());
        }
        return new RuntimeSpec.Mount(m.destination(), type, source, options);
    }

    /** The cgroup limits of {@code r} (none when null). */
    static Resources resources(ContainerSpec.Resources r) {
        if (r == null) {
            return Resources.NONE;
        }
        Long memory = null;
        Long quota = null;
        Long period = null;
        try {
            if (r.memory() != null) {
                memory = Quantities.memoryBytes(r.memory());
            }
        } catch (QuantityException e) {
            throw BerthException.invalid("spec.resources.memory: %s", e.getMessage());
        }
        try {
            if (r.cpu() != null) {
                long millis = Quantities.cpuMillis(r.cpu());
                quota = Math.max(1000, millis * CPU_PERIOD_MICROS / 1000);
                period = CPU_PERIOD_MICROS;
            }
        } catch (QuantityException e) {
            throw BerthException.invalid("spec.resources.cpu: %s", e.getMessage());
        }
        return new Resources(memory, null, null, quota, period, null, r.pids());
    }

    /**
     * The fields of {@code desired} that {@code observed} (read from the cgroup) does not match;
     * empty when the limits are in force. Unset desired fields are not compared.
     */
    static List<String> drift(Resources desired, Resources observed) {
        List<String> out = new ArrayList<>();
        if (desired.memoryLimit() != null && !Objects.equals(desired.memoryLimit(), observed.memoryLimit())) {
            out.add("memory limit " + observed.memoryLimit() + " (want " + desired.memoryLimit() + ")");
        }
        if (desired.cpuQuota() != null && (!Objects.equals(desired.cpuQuota(), observed.cpuQuota())
                || !Objects.equals(desired.cpuPeriod(), observed.cpuPeriod()))) {
            out.add("cpu quota " + observed.cpuQuota() + "/" + observed.cpuPeriod() + " (want "
                    + desired.cpuQuota() + "/" + desired.cpuPeriod() + ")");
        }
        if (desired.pidsLimit() != null && !Objects.equals(desired.pidsLimit(), observed.pidsLimit())) {
            out.add("pids limit " + observed.pidsLimit() + " (want " + desired.pidsLimit() + ")");
        }
        return out;
    }

    /**
     * Whether going from {@code applied} to {@code desired} removes a limit: {@code runc update}
     * cannot lift a memory limit, so such a change recreates the container.
     */
    static boolean liftsLimit(Resources applied, Resources desired) {
        return applied.memoryLimit() != null && desired.memoryLimit() == null
                || applied.cpuQuota() != null && desired.cpuQuota() == null
                || applied.pidsLimit() != null && desired.pidsLimit() == null;
    }

    static ContainerStatus.Limits limits(Resources r) {
        return new ContainerStatus.Limits(r.memoryLimit(), r.cpuQuota(), r.cpuQuota() == null ? null : r.cpuPeriod(),
                r.pidsLimit());
    }
}
