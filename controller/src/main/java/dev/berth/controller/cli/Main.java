package dev.berth.controller.cli;

import dev.berth.engine.errdefs.BerthException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code berth} command. Building picocli's model of every command costs about a
 * third of a second of a CLI run, so a command line that names its command gets a tree with just that
 * command; help, no command or an unknown one get the whole tree (help lists and "did you mean"
 * suggestions need it).
 */
@Command(name = "berth",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Berth: containerd's job, done declaratively.")
public final class Main implements Runnable {
    /** The top-level commands, in the order help lists them. */
    static final List<Class<?>> COMMANDS = List.of(
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
            LeasesCommand.class,
            GcCommand.class,
            PullCommand.class,
            PushCommand.class,
            RunCommand.class,
            TasksCommand.class,
            StatsCommand.class,
            ContainersCommand.class,
            LogsCommand.class,
            RolloutCommand.class,
            CommandLine.HelpCommand.class);

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

    /** The whole command tree. */
    public static CommandLine fullTree() {
        return tree(null);
    }

    /** The tree {@code args} need: the root with only the command they name, or everything. */
    public static CommandLine treeFor(String... args) {
        return tree(invoked(args));
    }

    private static CommandLine tree(Class<?> only) {
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> c : COMMANDS) {
            if (only == null || c == only) {
                cl.addSubcommand(c);
            }
        }
        // a forwarded command's relative paths are the client's (after the subcommands: it applies to those added)
        cl.registerConverter(java.nio.file.Path.class, Forwarding::path);
        // the container's own command line follows the id: its options (sh -c ...) are not berth's
        CommandLine run = cl.getSubcommands().get("run");
        if (run != null) {
            run.setStopAtPositional(true);
        }
        CommandLine tasks = cl.getSubcommands().get("tasks");
        if (tasks != null) {
            tasks.getSubcommands().get("exec").setStopAtPositional(true);
        }
        withHelp(cl);
        return cl;
    }

    /**
     * Gives every command of the tree {@code -h}/{@code --help} (only {@code --help} where a command
     * uses -h itself), as the root has it: {@code berth get --help} prints get's usage and exits 0, as
     * kubectl and ctr do, instead of failing as an unknown option.
     */
    private static void withHelp(CommandLine c) {
        CommandLine.Model.CommandSpec spec = c.getCommandSpec();
        if (spec.findOption("--help") == null) {
            String[] names = spec.findOption("-h") == null ? new String[] {"-h", "--help"} : new String[] {"--help"};
            spec.addOption(CommandLine.Model.OptionSpec.builder(names).usageHelp(true)
                    .description("Show this help message and exit.").build());
        }
        c.getSubcommands().values().stream().distinct().forEach(Main::withHelp);
    }

    /** The top-level command the arguments name, or null when they name none (or ask for help). */
    static Class<?> invoked(String... args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-c") || a.equals("--config")) {
                i++;
                continue;
            }
            if (a.startsWith("-")) {
                if (a.startsWith("--config=") || a.startsWith("-c") && a.length() > 2) {
                    continue;
                }
                return null;
            }
            for (Class<?> c : COMMANDS) {
                Command cmd = c.getAnnotation(Command.class);
                if (c != CommandLine.HelpCommand.class && cmd != null
                        && (cmd.name().equals(a) || List.of(cmd.aliases()).contains(a))) {
                    return c;
                }
            }
            return null;
        }
        return null;
    }

    /** Runs the CLI and returns its exit code (used by tests). */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given output streams and returns its exit code. */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cl = treeFor(args);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof BerthException be) {
                cmd.getErr().println("berth: " + be.getMessage());
                return 1;
            }
            throw ex;
        });
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }
}
