package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.containers.ContainerInfo;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskStatus;
import java.time.Duration;
import java.util.Optional;
import java.nio.file.Files;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth containers ls|rm}, like {@code ctr containers ls|rm}. */
@Command(name = "containers", aliases = "c", description = "Manage containers directly.",
        subcommands = {ContainersCommand.Ls.class, ContainersCommand.Rm.class})
public final class ContainersCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "ls", aliases = "list",
            description = "List container records: CONTAINER IMAGE RUNTIME TASK (every record, declared or not).")
    static final class Ls extends EngineCommand {
        @Option(names = {"-A", "--all-namespaces"})
        boolean all;

        @Option(names = {"-q", "--quiet"}, description = "Print only the container ids.")
        boolean quiet;

        @Override
        protected int run(Engine engine) {
            List<ContainerInfo> records = engine.containers().list(all ? null : namespace);
            if (quiet) {
                records.forEach(c -> out().println(c.id()));
                return 0;
            }
            out().printf("%-12s %-32s %-40s %-16s %s%n", "NAMESPACE", "CONTAINER", "IMAGE", "RUNTIME", "TASK");
            for (ContainerInfo c : records) {
                String task = engine.containers().task(c.namespace(), c.id()).map(t -> t.state().text()).orElse("-");
                out().printf("%-12s %-32s %-40s %-16s %s%n", c.namespace(), c.id(),
                        c.image() == null || c.image().isEmpty() ? "-" : c.image(), c.runtime(), task);
            }
            return 0;
        }
    }

    @Command(name = "rm", aliases = {"delete", "del"}, description = "Delete containers: task, bundle, image rootfs snapshot and log.")
    static final class Rm extends EngineCommand {
        @Option(names = {"-f", "--force"}, description = "Kill a running task first.")
        boolean force;

        @Parameters(paramLabel = "ID", arity = "1..*")
        List<String> ids;

        @Override
        protected int run(Engine engine) throws Exception {
            int rc = 0;
            for (String id : ids) {
                try {
                    Optional<TaskStatus> task = engine.containers().task(namespace, id);
                    if (engine.containers().find(namespace, id).isEmpty() && task.isEmpty()) {
                        throw BerthException.notFound("container %s/%s does not exist", namespace, id);
                    }
                    if (!force && task.isPresent() && task.get().state().alive()) {
                        throw BerthException.precondition("task %s/%s is %s; stop it first (or rm -f)", namespace, id,
                                task.get().state().text());
                    }
                    engine.containers().teardown(namespace, id, Duration.ZERO);
                    // the sandbox `berth run -p` gave it, if any
                    RunSandboxes.remove(engine, namespace, id);
                    Files.deleteIfExists(engine.runtime().logPath(namespace, id));
                    out().println(id);
                } catch (BerthException e) {
                    err().println("berth: " + e.getMessage());
                    rc = 1;
                }
            }
            return rc;
        }
    }
}
