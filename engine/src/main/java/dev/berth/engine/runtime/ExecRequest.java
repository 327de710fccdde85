package dev.berth.engine.runtime;

import dev.berth.engine.errdefs.BerthException;
import java.time.Duration;
import java.util.List;

/**
 * A process to run inside a running task. Env entries are added to the container's env; user and
 * cwd default to the container's. Immutable.
 *
 * @param timeout how long to wait before killing the exec'd process (null: wait forever)
 */
public record ExecRequest(List<String> args, List<String> env, String cwd, Duration timeout) {
    public ExecRequest {
        if (args == null || args.isEmpty()) {
            throw BerthException.invalid("exec needs a command to run");
        }
        args = List.copyOf(args);
        env = env == null ? List.of() : List.copyOf(env);
    }

    public static ExecRequest of(String... args) {
        return new ExecRequest(List.of(args), List.of(), null, null);
    }
}
