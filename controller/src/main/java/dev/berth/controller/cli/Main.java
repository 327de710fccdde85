package dev.berth.controller.cli;

import dev.berth.engine.errdefs.BerthException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code berth} command. */
@Command(name = "berth",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Berth: containerd's job, done declaratively.",
        subcommands = {
            VersionCommand.class,
            ConfigCommand.class,
            DaemonCommand.class,
            ApplyCommand.class,
            GetCommand.class,
            DeleteCommand.class,
            DiffCommand.class,
            DescribeCommand.class,
            EventsCommand.class,
            ExecCommand.class,
            ImagesCommand.class,
            SnapshotsCommand.class,
            ContentCommand.class,
            PullCommand.class,
            PushCommand.class,
            RunCommand.class,
            TasksCommand.class,
            ContainersCommand.class,
            LogsCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Mixin
    GlobalOptions global;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (used by tests). */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given output streams and returns its exit code. */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        // the container's own command line follows the id: its options (sh -c ...) are not berth's
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.getSubcommands().get("tasks").getSubcommands().get("exec").setStopAtPositional(true);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof BerthException be) {
                cmd.getErr().println("berth: " + be.getMessage());
                return 1;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
