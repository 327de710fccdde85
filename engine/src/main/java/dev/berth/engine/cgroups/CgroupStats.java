package dev.berth.engine.cgroups;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Usage of one container cgroup, read from the cgroup files at one moment. Null means the value is
 * not available on this node (controller not mounted, file missing). Immutable.
 *
 * @param memoryUsage   bytes in use now (v1 memory.usage_in_bytes, v2 memory.current)
 * @param memoryLimit   the hard limit in force, null when unlimited
 * @param cpuUsageNanos total CPU time consumed, nanoseconds
 * @param pidsCurrent   tasks in the cgroup
 * @param pidsLimit     pids.max, null when unlimited
 * @param oomKills      number of OOM kills in the cgroup (v1 oom_control oom_kill, v2 memory.events)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CgroupStats(
        @JsonProperty("memoryUsage") Long memoryUsage,
        @JsonProperty("memoryLimit") Long memoryLimit,
        @JsonProperty("cpuUsageNanos") Long cpuUsageNanos,
        @JsonProperty("pidsCurrent") Long pidsCurrent,
        @JsonProperty("pidsLimit") Long pidsLimit,
        @JsonProperty("oomKills") Long oomKills) {
}
