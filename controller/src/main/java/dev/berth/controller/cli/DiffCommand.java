package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.engine.errdefs.BerthException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * {@code berth diff -f FILE|DIR|-}: what {@code apply} would change, and what the node would do, without
 * doing it; for a file of the daemon's manifest directory, what the daemon does when it reads it. Each
 * existing object's owner is named.
 */
@Command(name = "diff", description = "Show what apply -f would change (fields, and live update vs recreate), without applying.")
public final class DiffCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR|-")
    List<String> files;

    @Option(names = "--force", description = "Plan as apply --force would (taking over objects of other sources).")
    boolean force;

    @Option(names = {"-o", "--output"}, paramLabel = "name", description = "name: only kind/name of each object that would change.")
    String output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (output != null && !output.equals("name")) {
            throw BerthException.invalid("-o %s: diff prints the plan, or kind/name lines with -o name", output);
        }
        boolean changes = false;
        try (ApiClient c = Clients.connect(spec)) {
            for (JsonNode r : ApplyCommand.plan(c, files, force)) {
                String outcome = r.path("outcome").asText();
                boolean change = !outcome.equals("unchanged");
                changes |= change;
                String key = r.path("key").asText();
                if ("name".equals(output)) {
                    if (change) {
                        String[] k = key.split("/", 3);
                        out.println(k[0].toLowerCase(Locale.ROOT) + "/" + k[2]);
                    }
                    continue;
                }
                String owner = r.path("owner").asText("");
                out.println(key + ": " + outcome + " -> " + r.path("action").asText()
                        + (owner.isEmpty() ? "" : "  [owner: " + owner + (owner.startsWith("file:") && !outcome.equals("conflict")
                                ? "; the daemon does this when it reads the file]" : "]")));
                for (JsonNode ch : r.path("changes")) {
                    out.println("    " + ch.asText());
                }
            }
        }
        // like diff(1) and kubectl diff: 1 when something would change
        return changes ? 1 : 0;
    }
}
