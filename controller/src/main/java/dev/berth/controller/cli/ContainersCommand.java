package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.nio.file.Files;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth containers rm [-f] ID...}, like {@code ctr containers rm}. */
@Command(name = "containers", aliases = "c", description = "Manage containers directly.",
        subcommands = {ContainersCommand.Rm.class})
public final class ContainersCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "rm", aliases = {"delete", "del"}, description = "Delete containers: task, bundle and log.")
    static final class Rm extends EngineCommand {
        @Option(names = {"-f", "--force"}, description = "Kill a running task first.")
        boolean force;

        @Parameters(paramLabel = "ID", arity = "1..*")
        List<String> ids;

        @Override
        protected int call(Engine engine) throws Exception {
            int rc = 0;
            for (String id : ids) {
                try {
                    engine.runtime().delete(namespace, id, force);
                    Files.deleteIfExists(engine.runtime().logPath(namespace, id));
                    removeRunRootfs(engine, id);
                    out().println(id);
                } catch (BerthException e) {
                    if (e.category() == ErrorCategory.NOT_FOUND) {
                        Files.deleteIfExists(engine.runtime().logPath(namespace, id));
                        removeRunRootfs(engine, id);
                    }
                    err().println("berth: " + e.getMessage());
                    rc = 1;
                }
            }
            return rc;
        }

        /** The rootfs snapshot and mount 'berth run IMAGE' made for {@code id}, if any (as ctr c rm does). */
        private void removeRunRootfs(Engine engine, String id) throws java.io.IOException {
            String key = ImageRootfs.key(namespace, id);
            String snapshotter = engine.snapshotter().name();
            java.nio.file.Path bundle = engine.state().resolve("tasks").resolve(namespace).resolve(id);
            if (engine.containerRootfs().exists(snapshotter, key)) {
                engine.containerRootfs().remove(snapshotter, key, bundle.resolve("rootfs"));
                if (Files.isDirectory(bundle)) {
                    try (var entries = Files.list(bundle)) {
                        if (entries.findAny().isEmpty()) {
                            Files.delete(bundle);
                        }
                    }
                }
            }
        }
    }
}
