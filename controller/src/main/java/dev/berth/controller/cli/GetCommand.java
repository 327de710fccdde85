package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** {@code berth get KIND [NAME] [-o yaml|json|wide]}, like kubectl get; {@code berth get sources}. */
@Command(name = "get", description = "List objects of a kind (images, snapshots, containers, sandboxes), or sources.")
public final class GetCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND")
    String kind;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME")
    String name;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default")
    String namespace;

    @Option(names = {"-A", "--all-namespaces"})
    boolean all;

    @Option(names = {"-o", "--output"}, description = "yaml, json or wide")
    String output;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        try (ApiClient c = Clients.connect(spec)) {
            if (kind.equals("sources") || kind.equals("source")) {
                Sources.print(c.get("/sources"), out);
                return;
            }
            String plural = ObjectsApi.pluralOf(ObjectsApi.kindOf(kind));
            JsonNode result = name != null
                    ? c.get(ObjectsApi.BASE + "/namespaces/" + namespace + "/" + plural + "/" + name)
                    : c.get(ObjectsApi.BASE + (all ? "" : "/namespaces/" + namespace) + "/" + plural);
            if ("json".equals(output)) {
                out.println(result.toPrettyString());
                return;
            }
            if ("yaml".equals(output)) {
                out.print(YAMLMapper.builder().build().writeValueAsString(result));
                return;
            }
            List<JsonNode> items = new ArrayList<>();
            if (name != null) {
                items.add(result);
            } else {
                result.path("items").forEach(items::add);
            }
            String k = ObjectsApi.kindOf(kind);
            Map<String, List<String>> members = k.equals("Sandbox")
                    ? Columns.members(c.get(ObjectsApi.BASE + (all ? "" : "/namespaces/" + namespace)
                            + "/containers").path("items"))
                    : Map.of();
            Columns.print(k, items, all, "wide".equals(output), members, out);
        }
    }

    /** Formats objects as kubectl-style columns. */
    static final class Columns {
        private Columns() {
        }

        /** The Containers of each sandbox ({@code namespace/sandbox} → container names), from a container list. */
        static Map<String, List<String>> members(JsonNode containers) {
            Map<String, List<String>> out = new TreeMap<>();
            for (JsonNode c : containers) {
                String sb = c.path("spec").path("sandbox").asText("");
                if (!sb.isEmpty()) {
                    out.computeIfAbsent(c.path("metadata").path("namespace").asText() + "/" + sb, x -> new ArrayList<>())
                            .add(c.path("metadata").path("name").asText());
                }
            }
            return out;
        }

        /** {@code 8080->80/TCP} for each published port ({@code 127.0.0.1:8080->80/TCP} with a hostIP). */
        static String ports(JsonNode ports) {
            List<String> out = new ArrayList<>();
            for (JsonNode p : ports) {
                if (p.path("hostPort").asInt(0) == 0) {
                    continue;
                }
                String ip = p.path("hostIP").asText("");
                out.add((ip.isEmpty() ? "" : (ip.contains(":") ? "[" + ip + "]" : ip) + ":") + p.path("hostPort").asInt()
                        + "->" + p.path("containerPort").asInt() + "/" + p.path("protocol").asText("TCP"));
            }
            return out.isEmpty() ? "<none>" : String.join(",", out);
        }

        static void print(String kind, List<JsonNode> items, boolean withNamespace, boolean wide,
                Map<String, List<String>> members, PrintWriter out) {
            List<String[]> rows = new ArrayList<>();
            List<String> head = new ArrayList<>();
            if (withNamespace) {
                head.add("NAMESPACE");
            }
            head.addAll(List.of("NAME", "READY", "STATUS"));
            switch (kind) {
                case "Container" -> head.addAll(List.of("RESTARTS", "AGE"));
                case "Image" -> head.addAll(List.of("REF", "DIGEST", "AGE"));
                case "Sandbox" -> head.addAll(List.of("IP", "PORTS", "CONTAINERS", "AGE"));
                default -> head.add("AGE");
            }
            if (wide) {
                head.add("MESSAGE");
            }
            rows.add(head.toArray(String[]::new));
            for (JsonNode o : items) {
                List<String> r = new ArrayList<>();
                if (withNamespace) {
                    r.add(o.path("metadata").path("namespace").asText());
                }
                JsonNode ready = Conditions.find(o, "Ready");
                r.add(o.path("metadata").path("name").asText());
                r.add(ready.path("status").asText("Unknown"));
                String phase = o.path("status").path("phase").asText("");
                r.add(phase.isEmpty() ? ready.path("reason").asText("Pending") : phase);
                switch (kind) {
                    case "Container" -> r.add(o.path("status").path("restartCount").asText("0"));
                    case "Image" -> {
                        r.add(o.path("spec").path("ref").asText());
                        String d = o.path("status").path("digest").asText("");
                        r.add(d.length() > 19 ? d.substring(0, 19) : d);
                    }
                    case "Sandbox" -> {
                        String ip = o.path("status").path("ip").asText("");
                        r.add(ip.isEmpty() ? "<none>" : ip);
                        // the ports in force once Ready; the requested ones before
                        JsonNode ports = o.path("status").has("ports") ? o.path("status").path("ports")
                                : o.path("spec").path("ports");
                        r.add(ports(ports));
                        List<String> in = members.getOrDefault(o.path("metadata").path("namespace").asText() + "/"
                                + o.path("metadata").path("name").asText(), List.of());
                        r.add(in.isEmpty() ? "<none>" : String.join(",", in));
                    }
                    default -> {
                    }
                }
                r.add(age(o.path("metadata").path("creationTimestamp").asText("")));
                if (wide) {
                    r.add(ready.path("message").asText(""));
                }
                rows.add(r.toArray(String[]::new));
            }
            Table.print(out, rows);
        }

        static String age(String created) {
            if (created.isEmpty()) {
                return "";
            }
            Duration d = Duration.between(Instant.parse(created), Instant.now());
            if (d.toDays() > 0) {
                return d.toDays() + "d";
            }
            if (d.toHours() > 0) {
                return d.toHours() + "h";
            }
            if (d.toMinutes() > 0) {
                return d.toMinutes() + "m";
            }
            return Math.max(0, d.toSeconds()) + "s";
        }
    }

    /** Prints the manifest sources with their last scan and errors. */
    static final class Sources {
        private Sources() {
        }

        static void print(JsonNode sources, PrintWriter out) {
            out.printf("%-60s %-8s %-7s %s%n", "SOURCE", "OBJECTS", "STATUS", "ERROR");
            for (JsonNode s : sources.path("items")) {
                out.printf("%-60s %-8s %-7s %s%n", s.path("source").asText(), s.path("objects").asText(),
                        s.path("error").isNull() || s.path("error").isMissingNode() ? "OK" : "Error",
                        s.path("error").isNull() ? "" : s.path("error").asText(""));
            }
        }
    }
}
