package dev.berth.engine.runtime;

/**
 * One process of a task, as {@link TaskRuntime#processes} lists it from the task's cgroup. Immutable.
 *
 * @param pid    the host pid
 * @param execId the name of the exec it is the process of ({@link ExecRequest#name}), or null for the
 *               init process and anything they started
 */
public record TaskProcess(long pid, String execId) {
}
