package dev.berth.engine.cgroups;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.berth.engine.errdefs.BerthException;

/**
 * The resource limits of one container, as a spec asks for them and as they are read back from the
 * cgroup files (for drift detection). A null component means "not set / unlimited". Immutable.
 *
 * @param memoryLimit      hard memory limit in bytes (v1 memory.limit_in_bytes, v2 memory.max)
 * @param memoryReservation soft limit in bytes (v1 memory.soft_limit_in_bytes, v2 memory.low)
 * @param cpuShares        relative CPU weight in v1 shares (2..262144); v2 cpu.weight is converted
 * @param cpuQuota         CFS quota in microseconds per period (v1 cpu.cfs_quota_us, v2 cpu.max)
 * @param cpuPeriod        CFS period in microseconds
 * @param cpusetCpus       CPUs the container may run on, e.g. "0-1"
 * @param pidsLimit        maximum number of tasks (pids.max)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Resources(
        @JsonProperty("memoryLimit") Long memoryLimit,
        @JsonProperty("memoryReservation") Long memoryReservation,
        @JsonProperty("cpuShares") Long cpuShares,
        @JsonProperty("cpuQuota") Long cpuQuota,
        @JsonProperty("cpuPeriod") Long cpuPeriod,
        @JsonProperty("cpusetCpus") String cpusetCpus,
        @JsonProperty("pidsLimit") Long pidsLimit) {

    /** Compiled once: the limits read back from the cgroup files make one of these per container per resync. */
    private static final java.util.regex.Pattern CPU_LIST = java.util.regex.Pattern.compile(
            "[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*");

    /** No limits at all. */
    public static final Resources NONE = new Resources(null, null, null, null, null, null, null);

    public Resources {
        positive("memoryLimit", memoryLimit);
        positive("memoryReservation", memoryReservation);
        if (cpuShares != null && (cpuShares < 2 || cpuShares > 262144)) {
            throw BerthException.invalid("resources.cpuShares is %d; it must be between 2 and 262144", cpuShares);
        }
        if (cpuQuota != null && cpuQuota != -1 && cpuQuota < 1000) {
            throw BerthException.invalid("resources.cpuQuota is %d; it must be -1 (unlimited) or at least 1000 us", cpuQuota);
        }
        if (cpuPeriod != null && (cpuPeriod < 1000 || cpuPeriod > 1_000_000)) {
            throw BerthException.invalid("resources.cpuPeriod is %d; it must be between 1000 and 1000000 us", cpuPeriod);
        }
        if (cpusetCpus != null && !CPU_LIST.matcher(cpusetCpus).matches()) {
            throw BerthException.invalid("resources.cpusetCpus '%s' is not a CPU list such as 0-1,3", cpusetCpus);
        }
        if (pidsLimit != null && pidsLimit != -1 && pidsLimit < 1) {
            throw BerthException.invalid("resources.pidsLimit is %d; it must be -1 (unlimited) or at least 1", pidsLimit);
        }
    }

    /**
     * The cgroup v2 {@code cpu.weight} runc writes for v1 {@code shares}. On v2 nodes the shares read
     * back by {@link Cgroups#limits} are the smallest value of the same weight, so compare shares
     * through this function when looking for drift.
     */
    public static long cpuWeight(long shares) {
        return V2Cgroups.sharesToWeight(shares);
    }

    private static void positive(String field, Long v) {
        if (v != null && v <= 0) {
            throw BerthException.invalid("resources.%s is %d; it must be a positive number of bytes", field, v);
        }
    }

    public Resources withMemoryLimit(Long v) {
        return new Resources(v, memoryReservation, cpuShares, cpuQuota, cpuPeriod, cpusetCpus, pidsLimit);
    }

    public Resources withMemoryReservation(Long v) {
        return new Resources(memoryLimit, v, cpuShares, cpuQuota, cpuPeriod, cpusetCpus, pidsLimit);
    }

    public Resources withCpuShares(Long v) {
        return new Resources(memoryLimit, memoryReservation, v, cpuQuota, cpuPeriod, cpusetCpus, pidsLimit);
    }

    public Resources withCpuQuota(Long quota, Long period) {
        return new Resources(memoryLimit, memoryReservation, cpuShares, quota, period, cpusetCpus, pidsLimit);
    }

    public Resources withCpusetCpus(String v) {
        return new Resources(memoryLimit, memoryReservation, cpuShares, cpuQuota, cpuPeriod, v, pidsLimit);
    }

    public Resources withPidsLimit(Long v) {
        return new Resources(memoryLimit, memoryReservation, cpuShares, cpuQuota, cpuPeriod, cpusetCpus, v);
    }
}
