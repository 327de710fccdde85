package dev.berth.engine.cgroups;

import java.util.List;

/**
 * One value of a container's cgroup, named as containerd's cgroups metrics plugin names it
 * ({@code container_} + metric + {@code _} + unit, e.g. {@code container_memory_usage_usage_bytes}),
 * so dashboards and alerts written for containerd read Berth unchanged. {@code labelNames} are the
 * family's own labels beyond containerd's {@code container_id} and {@code namespace} (e.g.
 * {@code cpu} for per-CPU time, {@code op}/{@code device}/{@code major}/{@code minor} for block I/O).
 * containerd reports every one of these as a gauge; so does Berth. Immutable.
 */
public record CgroupSample(String name, String help, List<String> labelNames, List<String> labelValues, double value) {
    public CgroupSample {
        labelNames = List.copyOf(labelNames);
        labelValues = List.copyOf(labelValues);
        if (labelNames.size() != labelValues.size()) {
            throw new IllegalArgumentException(name + ": " + labelNames + " vs " + labelValues);
        }
    }

    static CgroupSample of(String name, String help, double value) {
        return new CgroupSample(name, help, List.of(), List.of(), value);
    }
}
