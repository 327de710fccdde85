package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.engine.errdefs.BerthException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * {@code berth get KIND [NAME] [-o yaml|json|wide|name|jsonpath=] [-l SEL] [--field-selector SEL] [-w]}, like
 * kubectl get; {@code berth get sources}.
 */
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

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "yaml, json, wide, name (kind/name lines) or jsonpath=TEMPLATE (e.g. '{.items[*].metadata.name}')")
    String output;

    @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR", description = "Label selector: k=v, k!=v, k, !k; commas mean and.")
    String selector;

    @Option(names = "--field-selector", paramLabel = "SELECTOR",
            description = "status.phase, metadata.name or metadata.namespace with = or !=, e.g. status.phase=Running.")
    String fieldSelector;

    @Option(names = {"-w", "--watch"}, description = "After the list, print each change as it happens (until interrupted).")
    boolean watch;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        if (output != null && !List.of("json", "yaml", "wide", "name").contains(output) && !output.startsWith("jsonpath=")) {
            throw BerthException.invalid("-o %s: use yaml, json, wide, name or jsonpath=TEMPLATE", output);
        }
        try (ApiClient c = Clients.connect(spec)) {
            if (kind.equals("sources") || kind.equals("source")) {
                Sources.print(c.get("/sources"), out);
                return;
            }
            String k = ObjectsApi.kindOf(kind);
            String plural = ObjectsApi.pluralOf(k);
            Predicate<JsonNode> match = Selectors.of(selector, fieldSelector);
            String listPath = ObjectsApi.BASE + (all ? "" : "/namespaces/" + namespace) + "/" + plural;
            if (watch) {
                // the watch starts with ADDED for every existing object: that is the list
                boolean[] header = {false};
                Map<String, List<String>> members = members(c, k);
                c.stream(listPath + "?watch=true", ev -> {
                    JsonNode o = ev.path("object");
                    if (ev.path("type").asText().equals("BOOKMARK")) {
                        out.flush(); // run for a client through the daemon: fails once that client is gone
                        return !out.checkError();
                    }
                    if ((name == null
                            || name.equals(o.path("metadata").path("name").asText())) && match.test(o)) {
                        print(k, List.of(o), null, !header[0], members, out);
                        header[0] = true;
                    }
                    return true;
                });
                return;
            }
            JsonNode result = name != null
                    ? c.get(ObjectsApi.BASE + "/namespaces/" + namespace + "/" + plural + "/" + name)
                    : c.get(listPath);
            List<JsonNode> items = new ArrayList<>();
            if (name != null) {
                items.add(result);
            } else {
                result.path("items").forEach(o -> {
                    if (match.test(o)) {
                        items.add(o);
                    }
                });
            }
            print(k, items, name != null ? result : list(result, items), true, members(c, k), out);
        }
    }

    /** The Containers of each sandbox, for the CONTAINERS column (empty for other kinds). */
    private Map<String, List<String>> members(ApiClient c, String k) {
        return k.equals("Sandbox")
                ? Columns.members(c.get(ObjectsApi.BASE + (all ? "" : "/namespaces/" + namespace) + "/containers").path("items"))
                : Map.of();
    }

    private static JsonNode list(JsonNode result, List<JsonNode> items) {
        tools.jackson.databind.node.ObjectNode copy = ((tools.jackson.databind.node.ObjectNode) result).deepCopy();
        copy.putArray("items").addAll(items);
        return copy;
    }

    /** Prints objects in the chosen format; {@code whole} is what json/yaml/jsonpath show (one object when null). */
    private void print(String k, List<JsonNode> items, JsonNode whole, boolean header, Map<String, List<String>> members,
            PrintWriter out) {
        JsonNode doc = whole != null ? whole : items.get(0);
        if ("json".equals(output)) {
            out.println(doc.toPrettyString());
        } else if ("yaml".equals(output)) {
            out.print((whole == null ? "---\n" : "") + YAMLMapper.builder().build().writeValueAsString(doc));
            out.flush();
        } else if ("name".equals(output)) {
            items.forEach(o -> out.println(k.toLowerCase(java.util.Locale.ROOT) + "/" + o.path("metadata").path("name").asText()));
        } else if (output != null && output.startsWith("jsonpath=")) {
            out.print(JsonPathOutput.render(output.substring("jsonpath=".length()), doc));
            out.println();
        } else {
            Columns.print(k, items, all, "wide".equals(output), header, members, out);
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
            print(kind, items, withNamespace, wide, true, members, out);
        }

        static void print(String kind, List<JsonNode> items, boolean withNamespace, boolean wide, boolean header,
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
            if (!header) {
                // a watch's later rows: fixed-width columns, since the table cannot be re-aligned
                for (String[] r : rows.subList(1, rows.size())) {
                    out.println(String.join("  ", r));
                }
                return;
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
