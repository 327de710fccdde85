package dev.berth.engine.runtime;

import dev.berth.engine.cgroups.CgroupSample;
import java.util.List;

/** containerd's per-container cgroup metrics of one live task, read at one moment. Immutable. */
public record TaskSamples(String namespace, String id, List<CgroupSample> samples) {
    public TaskSamples {
        samples = List.copyOf(samples);
    }
}
