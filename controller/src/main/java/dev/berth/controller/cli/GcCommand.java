package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.gc.GcResult;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code berth gc [--dry-run]}: one garbage collection now (see docs/gc.md), printing each removed
 * object with its size and the total, or with {@code --dry-run} what a collection would remove.
 */
@Command(name = "gc", description = "Remove blobs, snapshots, expired leases and stale ingests nothing references.")
public final class GcCommand extends EngineCommand {
    @Option(names = "--dry-run", description = "Only print what would be removed.")
    boolean dryRun;

    @Option(names = {"-q", "--quiet"}, description = "Print only the summary line.")
    boolean quiet;

    @Override
    protected int run(Engine engine) {
        GcResult r = engine.gc().collect(dryRun);
        if (!quiet && !r.removed().isEmpty()) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"KIND", "NAME", "SIZE"});
            for (GcResult.Removed x : r.removed()) {
                rows.add(new String[] {x.kind().name().toLowerCase(java.util.Locale.ROOT),
                    x.snapshotter() == null ? x.name() : x.snapshotter() + "/" + x.name(), humanSize(x.size())});
            }
            Table.print(out(), rows);
        }
        out().printf("%s %d objects, %s%n", dryRun ? "would remove" : "removed", r.removed().size(), humanSize(r.bytes()));
        for (String f : r.failures()) {
            err().println("berth: gc: " + f);
        }
        return r.failures().isEmpty() ? 0 : 1;
    }
}
