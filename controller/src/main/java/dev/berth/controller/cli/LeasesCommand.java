package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.leases.Lease;
import dev.berth.engine.leases.LeaseResource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth leases ls|rm}: the leases holding content and snapshots, like {@code ctr leases}. */
@Command(name = "leases", aliases = "lease", description = "Inspect and remove leases.",
        subcommands = {LeasesCommand.Ls.class, LeasesCommand.Rm.class})
public final class LeasesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "ls", aliases = "list", description = "List leases: id, created, expiry, resources, labels.")
    static final class Ls extends EngineCommand {
        @Option(names = {"-q", "--quiet"}, description = "Print only the ids.")
        boolean quiet;

        @Option(names = {"-r", "--resources"}, description = "List each lease's resources under it.")
        boolean resources;

        @Override
        protected int run(Engine engine) {
            List<Lease> leases = engine.leases().list();
            if (quiet) {
                leases.forEach(l -> out().println(l.id()));
                return 0;
            }
            Instant now = Instant.now();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "CREATED AT", "EXPIRES", "RESOURCES", "LABELS"});
            for (Lease l : leases) {
                List<LeaseResource> res = engine.leases().resources(l.id());
                rows.add(new String[] {l.id(), l.createdAt().toString(),
                    l.expiresAt().map(t -> t + (l.expired(now) ? " (expired)" : "")).orElse("-"),
                    Integer.toString(res.size()),
                    l.labels().isEmpty() ? "-" : l.labels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                            .collect(Collectors.joining(","))});
                if (resources) {
                    res.forEach(r -> rows.add(new String[] {"", "", "", r.toString(), ""}));
                }
            }
            Table.print(out(), rows);
            return 0;
        }
    }

    @Command(name = "rm", aliases = {"remove", "delete"},
            description = "Remove leases; what they held is collected at the next gc unless something else holds it.")
    static final class Rm extends EngineCommand {
        @Parameters(arity = "1..*", paramLabel = "ID", description = "Lease ids as `berth leases ls` shows them.")
        List<String> ids;

        @Override
        protected int run(Engine engine) {
            int rc = 0;
            for (String id : ids) {
                try {
                    engine.leases().delete(id);
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
