package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.cgroups.CgroupStats;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.runtime.ExecRequest;
import dev.berth.engine.runtime.ExecResult;
import dev.berth.engine.runtime.Signals;
import dev.berth.engine.runtime.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth tasks ls|kill|pause|resume|exec|stats}, like {@code ctr tasks}. */
@Command(name = "tasks", aliases = "t", description = "Manage tasks (running containers) directly.",
        subcommands = {TasksCommand.Ls.class, TasksCommand.Kill.class, TasksCommand.Pause.class,
            TasksCommand.Resume.class, TasksCommand.Exec.class, TasksCommand.Stats.class})
public final class TasksCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "ls", aliases = "list", description = "List tasks: TASK PID STATUS EXIT.")
    static final class Ls extends EngineCommand {
        @Option(names = {"-A", "--all-namespaces"})
        boolean all;

        @Option(names = {"-q", "--quiet"}, description = "Print only the task ids.")
        boolean quiet;

        @Override
        protected int run(Engine engine) {
            List<TaskStatus> tasks = engine.runtime().list(all ? null : namespace);
            if (quiet) {
                tasks.forEach(t -> out().println(t.id()));
                return 0;
            }
            out().printf("%-12s %-32s %-8s %-9s %s%n", "NAMESPACE", "TASK", "PID", "STATUS", "EXIT");
            for (TaskStatus t : tasks) {
                String exit = t.exitCode() == null ? "" : t.exitCode() + (t.oomKilled() ? " (OOMKilled)" : "");
                out().printf("%-12s %-32s %-8d %-9s %s%n", t.namespace(), t.id(), t.pid(), t.state().text(), exit);
            }
            return 0;
        }
    }

    @Command(name = "kill", description = "Signal a task (default SIGTERM).")
    static final class Kill extends EngineCommand {
        @Option(names = {"-s", "--signal"}, defaultValue = "SIGTERM")
        String signal;

        @Option(names = {"-a", "--all"}, description = "Signal every process of the task.")
        boolean all;

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected int run(Engine engine) {
            engine.runtime().kill(namespace, id, Signals.parse(signal), all);
            return 0;
        }
    }

    @Command(name = "pause", description = "Freeze a task's processes.")
    static final class Pause extends EngineCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected int run(Engine engine) {
            engine.runtime().pause(namespace, id);
            return 0;
        }
    }

    @Command(name = "resume", description = "Thaw a paused task.")
    static final class Resume extends EngineCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected int run(Engine engine) {
            engine.runtime().resume(namespace, id);
            return 0;
        }
    }

    @Command(name = "exec", description = "Run a command in a running task; exits with its status.")
    static final class Exec extends EngineCommand {
        @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE")
        List<String> env = new ArrayList<>();

        @Option(names = {"-w", "--cwd"})
        String cwd;

        @Option(names = "--timeout", paramLabel = "SECONDS")
        Long timeout;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD")
        List<String> cmd;

        @Override
        protected int run(Engine engine) {
            ExecResult r = engine.runtime().exec(namespace, id,
                    new ExecRequest(cmd, env, cwd, timeout == null ? null : Duration.ofSeconds(timeout)));
            out().print(r.stdout());
            out().flush();
            err().print(r.stderr());
            err().flush();
            return r.exitCode();
        }
    }

    @Command(name = "stats", aliases = "metrics", description = "Cgroup usage and the limits in force.")
    static final class Stats extends EngineCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        protected int run(Engine engine) {
            CgroupStats s = engine.runtime().stats(namespace, id);
            Resources l = engine.runtime().limits(namespace, id);
            out().printf("memory.usage  %s%nmemory.limit  %s%ncpu.usage_ns  %s%npids.current  %s%npids.limit    %s%n"
                    + "oom_kills     %s%ncpu.shares    %s%ncpu.quota     %s%ncpu.period    %s%ncpuset.cpus   %s%n",
                    s.memoryUsage(), s.memoryLimit(), s.cpuUsageNanos(), s.pidsCurrent(), s.pidsLimit(), s.oomKills(),
                    l.cpuShares(), l.cpuQuota(), l.cpuPeriod(), l.cpusetCpus());
            return 0;
        }
    }
}
