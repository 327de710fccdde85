package dev.berth.engine.runtime;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * A snapshot of one task: its state, pids, and once stopped its exit status. Immutable.
 *
 * @param pid       the init process's host pid (0 when not known or stopped)
 * @param monitorPid the conmon process supervising it
 * @param exitCode  the exit status once stopped: the code, or 128+signal for a signal death, 255
 *                  when the monitor was lost; null while running
 * @param oomKilled whether the kernel's OOM killer killed a process of the task
 * @param cgroupPath the cgroup relative to the hierarchy root
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskStatus(
        @JsonProperty("namespace") String namespace,
        @JsonProperty("id") String id,
        @JsonProperty("state") TaskState state,
        @JsonProperty("pid") long pid,
        @JsonProperty("monitorPid") long monitorPid,
        @JsonProperty("exitCode") Integer exitCode,
        @JsonProperty("exitedAt") Instant exitedAt,
        @JsonProperty("oomKilled") boolean oomKilled,
        @JsonProperty("createdAt") Instant createdAt,
        @JsonProperty("bundle") String bundle,
        @JsonProperty("logPath") String logPath,
        @JsonProperty("cgroupPath") String cgroupPath) {
}
