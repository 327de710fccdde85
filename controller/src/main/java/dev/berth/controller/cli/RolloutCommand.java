package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.engine.config.SettingType;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/**
 * {@code berth rollout status|history|undo container NAME}, as {@code kubectl rollout} for a
 * Deployment: a client of the daemon's {@code .../containers/NAME/rollout} endpoints
 * ({@link dev.berth.controller.api.RolloutApi}). A Container rolls when its Image's tag moves
 * (docs/rollouts.md); the rollout unit is the Image, so undo sends every Container of that Image back.
 * One instance per invocation.
 */
@Command(name = "rollout", description = "Follow, list and undo a Container's image rollouts.",
        subcommands = {RolloutCommand.Status.class, RolloutCommand.History.class, RolloutCommand.Undo.class})
public final class RolloutCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** KIND NAME and the namespace, shared by the three subcommands. */
    abstract static class Target {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "KIND", description = "container (ctr): the kind that rolls")
        String kind;

        @Parameters(index = "1", paramLabel = "NAME")
        String name;

        @Option(names = {"-n", "--namespace"}, defaultValue = "default")
        String namespace;

        /** The API path of the Container's rollout. */
        String path() {
            String k = ObjectsApi.kindOf(kind);
            if (!k.equals("Container")) {
                throw BerthException.invalid("rollout %s %s: only Containers roll (an Image's new digest rolls out to "
                        + "the Containers that use it); use rollout %s container NAME", spec.name(), kind, spec.name());
            }
            return ObjectsApi.BASE + "/namespaces/" + namespace + "/containers/" + name + "/rollout";
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "status", description = {"Show where a Container stands in its Image's rollout; by default wait",
        "until it runs the digest it should and is Ready (exit 0), or its rollout is rolled back (exit 1)."})
    static final class Status extends Target implements Callable<Integer> {
        @Option(names = {"-w", "--watch"}, negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Wait for the rollout to finish (default ${DEFAULT-VALUE}; --no-watch prints once).")
        boolean watch;

        @Option(names = "--timeout", defaultValue = "0s",
                description = "How long to wait (Go duration; default ${DEFAULT-VALUE}: no limit).")
        String timeout;

        @Override
        public Integer call() throws Exception {
            Duration limit = SettingType.parseDuration(timeout);
            Instant deadline = limit.isZero() ? Instant.MAX : Instant.now().plus(limit);
            String said = null;
            try (ApiClient c = Clients.connect(spec)) {
                while (true) {
                    JsonNode s = c.get(path());
                    String message = s.path("message").asText();
                    if (!message.equals(said)) {
                        out().println(message);
                        said = message;
                    }
                    if (s.path("done").asBoolean()) {
                        return s.path("failed").asBoolean() ? 1 : 0;
                    }
                    if (!watch) {
                        return 0;
                    }
                    if (Instant.now().isAfter(deadline)) {
                        throw new BerthException(ErrorCategory.DEADLINE_EXCEEDED, "timed out after "
                                + limit.toSeconds() + "s waiting for the rollout of Container " + namespace + "/" + name
                                + ": " + message);
                    }
                    // an empty flush is how a command run in the daemon notices that its client went away
                    out().flush();
                    Thread.sleep(500);
                }
            }
        }
    }

    @Command(name = "history", description = "List a Container's last changes to the node: time, generation, image digest, action, outcome.")
    static final class History extends Target implements Runnable {
        @Override
        public void run() {
            try (ApiClient c = Clients.connect(spec)) {
                JsonNode items = c.get(path() + "/history").path("items");
                if (items.isEmpty()) {
                    out().println("Container " + namespace + "/" + name + " has no history yet");
                    return;
                }
                List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"REVISION", "TIME", "GENERATION", "DIGEST", "ACTION", "OUTCOME", "MESSAGE"});
                int i = 1;
                for (JsonNode h : items) {
                    rows.add(new String[] {Integer.toString(i++), h.path("time").asText(), h.path("generation").asText(),
                        h.path("imageDigest").asText(), h.path("action").asText(), h.path("outcome").asText(),
                        h.path("message").asText()});
                }
                Table.print(out(), rows);
            }
        }
    }

    @Command(name = "undo", description = {"Roll the Container's Image back to the digest it rolled out from (kept pinned):",
        "every Container of that Image goes back, and nothing rolls until the tag's digest changes again."})
    static final class Undo extends Target implements Runnable {
        @Override
        public void run() {
            try (ApiClient c = Clients.connect(spec)) {
                out().println(c.post(path() + "/undo", "{}", "application/json").path("message").asText());
            }
        }
    }
}
