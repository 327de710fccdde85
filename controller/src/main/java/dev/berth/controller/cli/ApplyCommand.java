package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** {@code berth apply -f FILE|DIR|-}: sends specs to the daemon, optionally waiting until they are Ready. */
@Command(name = "apply", description = "Create or update objects from YAML files, a directory or stdin (-).")
public final class ApplyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR|-",
            description = "A YAML file, a directory of them (recursive), or - for stdin. Repeatable.")
    List<String> files;

    @Option(names = "--force", description = "Take over objects another source (e.g. a manifest file) manages.")
    boolean force;

    @Option(names = "--wait", description = "Wait until every applied object is Ready (or failed).")
    boolean waitReady;

    @Option(names = "--timeout", defaultValue = "5m", description = "How long --wait waits (default ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> applied = new ArrayList<>();
        try (ApiClient c = Clients.connect(spec)) {
            for (Input in : inputs(files)) {
                JsonNode res = c.post(ObjectsApi.BASE + "/apply?force=" + force + "&filename="
                        + URLEncoder.encode(in.name(), StandardCharsets.UTF_8), in.text(), "application/yaml");
                for (JsonNode r : res.path("results")) {
                    out.println(r.path("key").asText() + " " + r.path("outcome").asText());
                    applied.add(r.path("key").asText());
                }
            }
            if (waitReady) {
                Readiness.await(c, new LinkedHashSet<>(applied),
                        dev.berth.engine.config.SettingType.parseDuration(timeout), out);
            }
        }
    }

    record Input(String name, String text) {
    }

    /** What {@code apply -f} of {@code files} would do, per object (dry run): key, outcome, action, owner, changes. */
    static List<JsonNode> plan(ApiClient c, List<String> files, boolean force) {
        List<JsonNode> plans = new ArrayList<>();
        for (Input in : inputs(files)) {
            JsonNode res = c.post(ObjectsApi.BASE + "/apply?dryRun=true&force=" + force + "&filename="
                    + URLEncoder.encode(in.name(), StandardCharsets.UTF_8), in.text(), "application/yaml");
            res.path("results").forEach(plans::add);
        }
        return plans;
    }

    /** The YAML documents of FILE, DIR (its *.yaml and *.yml, sorted) or - (stdin) arguments. */
    static List<Input> inputs(List<String> files) {
        List<Input> inputs = new ArrayList<>();
        for (String f : files) {
            try {
                if (f.equals("-")) {
                    inputs.add(new Input("stdin", new String(System.in.readAllBytes(), StandardCharsets.UTF_8)));
                    continue;
                }
                Path p = Forwarding.path(f);
                if (Files.isDirectory(p)) {
                    try (Stream<Path> s = Files.walk(p)) {
                        for (Path y : s.filter(x -> x.toString().endsWith(".yaml") || x.toString().endsWith(".yml"))
                                .filter(Files::isRegularFile).sorted().toList()) {
                            inputs.add(new Input(y.toString(), Files.readString(y)));
                        }
                    }
                } else {
                    inputs.add(new Input(p.toString(), Files.readString(p)));
                }
            } catch (IOException e) {
                throw new BerthException(ErrorCategory.INVALID_ARGUMENT, "cannot read " + f + ": " + e.getMessage());
            }
        }
        return inputs;
    }

    /** Watches objects until each is Ready=True, or reports which are not by the deadline. */
    static final class Readiness {
        private Readiness() {
        }

        private static JsonNode get(ApiClient c, String key) {
            String[] p = key.split("/", 3);
            return c.get(ObjectsApi.BASE + "/namespaces/" + p[1] + "/" + ObjectsApi.pluralOf(p[0]) + "/" + p[2]);
        }

        static void await(ApiClient c, Set<String> keys, Duration timeout, PrintWriter out) {
            Instant deadline = Instant.now().plus(timeout);
            Set<String> pending = new LinkedHashSet<>(keys);
            while (!pending.isEmpty()) {
                for (String k : List.copyOf(pending)) {
                    JsonNode o = get(c, k);
                    JsonNode ready = Conditions.find(o, "Ready");
                    long gen = o.path("metadata").path("generation").asLong();
                    boolean observed = o.path("status").path("observedGeneration").asLong() >= gen;
                    if (observed && "True".equals(ready.path("status").asText())) {
                        out.println(k + " ready");
                        pending.remove(k);
                    }
                }
                if (pending.isEmpty()) {
                    return;
                }
                if (Instant.now().isAfter(deadline)) {
                    StringBuilder sb = new StringBuilder("timed out after " + timeout.toSeconds() + "s waiting for:");
                    for (String k : pending) {
                        JsonNode o = get(c, k);
                        JsonNode ready = Conditions.find(o, "Ready");
                        sb.append("\n  ").append(k).append(": ").append(ready.path("reason").asText("no status yet"))
                                .append(' ').append(ready.path("message").asText(""));
                    }
                    throw new BerthException(ErrorCategory.DEADLINE_EXCEEDED, sb.toString());
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
