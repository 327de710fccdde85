package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** {@code berth diff -f FILE|DIR}: what {@code apply} would change, and what the node would do, without doing it. */
@Command(name = "diff", description = "Show what apply -f would change (fields, and live update vs recreate), without applying.")
public final class DiffCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR")
    List<Path> files;

    @Option(names = "--force", description = "Plan as apply --force would (taking over objects of other sources).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        boolean changes = false;
        try (ApiClient c = Clients.connect(spec)) {
            for (Path f : files) {
                List<Path> each;
                if (Files.isDirectory(f)) {
                    try (Stream<Path> s = Files.walk(f)) {
                        each = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
                    }
                } else {
                    each = List.of(f);
                }
                for (Path y : each) {
                    JsonNode res = c.post(ObjectsApi.BASE + "/apply?dryRun=true&force=" + force + "&filename="
                            + URLEncoder.encode(y.toString(), StandardCharsets.UTF_8), Files.readString(y), "application/yaml");
                    for (JsonNode r : res.path("results")) {
                        String outcome = r.path("outcome").asText();
                        changes |= !outcome.equals("unchanged");
                        out.println(r.path("key").asText() + ": " + outcome + " -> " + r.path("action").asText());
                        for (JsonNode ch : r.path("changes")) {
                            out.println("    " + ch.asText());
                        }
                    }
                }
            }
        }
        // like diff(1) and kubectl diff: 1 when something would change
        return changes ? 1 : 0;
    }
}
