package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** {@code berth events [--watch]}: what happened to objects (pulls, starts, restarts, OOM kills, failures). */
@Command(name = "events", description = "Show events; --watch keeps printing new ones.")
public final class EventsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = {"-w", "--watch"})
    boolean watch;

    @Option(names = "--for", paramLabel = "Kind/namespace/name", description = "Only events of this object.")
    String object;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        String q = object == null ? "" : "object=" + java.net.URLEncoder.encode(object, java.nio.charset.StandardCharsets.UTF_8);
        out.printf("%-25s %-8s %-18s %-40s %s%n", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
        try (ApiClient c = Clients.connect(spec)) {
            if (!watch) {
                for (JsonNode e : c.get("/events?" + q).path("items")) {
                    print(e, out);
                }
                return;
            }
            c.stream("/events?watch=true&" + q, e -> {
                if (!"BOOKMARK".equals(e.path("type").asText())) {
                    print(e, out);
                    out.flush();
                }
                return true;
            });
        }
    }

    static void print(JsonNode e, PrintWriter out) {
        int count = e.path("count").asInt(1);
        out.printf("%-25s %-8s %-18s %-40s %s%s%n", e.path("lastTimestamp").asText(), e.path("type").asText(),
                e.path("reason").asText(), e.path("involvedObject").asText(), e.path("message").asText(),
                count > 1 ? " (x" + count + ")" : "");
    }
}
