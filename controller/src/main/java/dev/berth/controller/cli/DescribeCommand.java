package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** {@code berth describe KIND NAME}: spec, status, conditions and recent events of one object. */
@Command(name = "describe", description = "Show one object in detail, with its conditions and events.")
public final class DescribeCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME")
    String name;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default")
    String namespace;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        String k = ObjectsApi.kindOf(kind);
        try (ApiClient c = Clients.connect(spec)) {
            JsonNode o = c.get(ObjectsApi.BASE + "/namespaces/" + namespace + "/" + ObjectsApi.pluralOf(k) + "/" + name);
            JsonNode meta = o.path("metadata");
            out.println("Name:         " + meta.path("name").asText());
            out.println("Namespace:    " + meta.path("namespace").asText());
            out.println("Kind:         " + k);
            out.println("Labels:       " + (meta.path("labels").isMissingNode() ? "<none>" : meta.path("labels").toString()));
            out.println("Generation:   " + meta.path("generation").asText() + " (observed "
                    + o.path("status").path("observedGeneration").asText("none") + ")");
            out.println("Created:      " + meta.path("creationTimestamp").asText());
            if (meta.has("deletionTimestamp")) {
                out.println("Deleting:     since " + meta.path("deletionTimestamp").asText());
            }
            YAMLMapper yaml = YAMLMapper.builder().build();
            out.println("Spec:");
            yaml.writeValueAsString(o.path("spec")).lines().filter(l -> !l.equals("---"))
                    .forEach(l -> out.println("  " + l));
            out.println("Status:");
            JsonNode status = o.path("status").deepCopy();
            if (status instanceof tools.jackson.databind.node.ObjectNode on) {
                on.remove("conditions");
                yaml.writeValueAsString(on).lines().filter(l -> !l.equals("---")).forEach(l -> out.println("  " + l));
            }
            if (k.equals("Sandbox")) {
                var members = GetCommand.Columns.members(c.get(ObjectsApi.BASE + "/namespaces/" + namespace
                        + "/containers").path("items")).getOrDefault(namespace + "/" + name, java.util.List.of());
                out.println("Ports:        " + GetCommand.Columns.ports(o.path("status").has("ports")
                        ? o.path("status").path("ports") : o.path("spec").path("ports")));
                out.println("Containers:   " + (members.isEmpty() ? "<none>" : String.join(", ", members)));
            }
            out.println("Conditions:");
            out.printf("  %-12s %-7s %-22s %s%n", "TYPE", "STATUS", "REASON", "MESSAGE");
            for (JsonNode cnd : o.path("status").path("conditions")) {
                out.printf("  %-12s %-7s %-22s %s%n", cnd.path("type").asText(), cnd.path("status").asText(),
                        cnd.path("reason").asText(), cnd.path("message").asText());
            }
            out.println("Events:");
            String key = k + "/" + namespace + "/" + name;
            JsonNode events = c.get("/events?limit=20&object=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
            if (events.path("items").isEmpty()) {
                out.println("  <none>");
            }
            for (JsonNode e : events.path("items")) {
                int count = e.path("count").asInt(1);
                out.printf("  %-8s %-18s %s%s (%s)%n", e.path("type").asText(), e.path("reason").asText(),
                        e.path("message").asText(), count > 1 ? " (x" + count + ")" : "",
                        e.path("lastTimestamp").asText());
            }
        }
    }
}
