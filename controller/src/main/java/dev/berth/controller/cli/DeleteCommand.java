package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code berth delete KIND NAME...}: requests deletion; the daemon cleans up the node, then drops the object. */
@Command(name = "delete", description = "Delete objects; their node state (task, snapshot, references) is cleaned up in order.")
public final class DeleteCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KIND")
    String kind;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "NAME")
    List<String> names;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default")
    String namespace;

    @Override
    public void run() {
        String k = ObjectsApi.kindOf(kind);
        String plural = ObjectsApi.pluralOf(k);
        try (ApiClient c = Clients.connect(spec)) {
            for (String n : names) {
                c.delete(ObjectsApi.BASE + "/namespaces/" + namespace + "/" + plural + "/" + n);
                spec.commandLine().getOut().println(k + "/" + namespace + "/" + n + " deleted");
            }
        }
    }
}
