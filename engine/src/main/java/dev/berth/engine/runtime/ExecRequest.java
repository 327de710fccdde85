package dev.berth.engine.runtime;

import dev.berth.engine.errdefs.BerthException;
import java.time.Duration;
import java.util.List;

/**
 * A process to run inside a running task. Env entries are added to the container's env; user and
 * cwd default to the container's. Immutable.
 *
 * @param timeout how long to wait before killing the exec'd process (null: wait forever)
 * @param name    the process's name within its task (containerd's exec id), or null: a named exec
 *                can be signalled ({@link TaskRuntime#killExec}) and is listed by
 *                {@link TaskRuntime#processes} while it runs; two running execs of a task never share a name
 */
public record ExecRequest(List<String> args, List<String> env, String cwd, Duration timeout, String name) {
    public ExecRequest {
        if (args == null || args.isEmpty()) {
            throw BerthException.invalid("exec needs a command to run");
        }
        args = List.copyOf(args);
        env = env == null ? List.of() : List.copyOf(env);
        if (name != null) {
            checkName(name);
        }
    }

    /** Fails with INVALID_ARGUMENT unless {@code name} is a valid exec name (containerd's identifier rule). */
    public static String checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,75}")) {
            throw BerthException.invalid("exec name '%s' must be 1-76 letters, digits, '_', '.' or '-', "
                    + "starting with a letter or digit", name);
        }
        return name;
    }

    public ExecRequest(List<String> args, List<String> env, String cwd, Duration timeout) {
        this(args, env, cwd, timeout, null);
    }

    public static ExecRequest of(String... args) {
        return new ExecRequest(List.of(args), List.of(), null, null);
    }
}
