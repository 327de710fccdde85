package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import dev.berth.controller.source.ManifestDirectorySource;
import dev.berth.engine.errdefs.BerthException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * {@code berth delete KIND NAME...} or {@code berth delete -f FILE|DIR|-}: requests deletion; the
 * daemon cleans up the node, then drops the object. With {@code -f}, the objects the files declare;
 * an object a manifest directory owns is refused with its owner named (the daemon would recreate it
 * from that file: remove the file instead). One instance per invocation.
 */
@Command(name = "delete", description = {"Delete objects; their node state (task, snapshot, references) is cleaned up in order.",
    "delete KIND NAME... or delete -f FILE|DIR|- (the objects those manifests declare)."})
public final class DeleteCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "KIND")
    String kind;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "NAME")
    List<String> names = new ArrayList<>();

    @Option(names = {"-f", "--filename"}, paramLabel = "FILE|DIR|-", description = "Delete what these manifests declare.")
    List<String> files = new ArrayList<>();

    @Option(names = "--ignore-not-found", description = "Objects that do not exist are not an error.")
    boolean ignoreNotFound;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default")
    String namespace;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (files.isEmpty() == (kind == null)) {
            throw BerthException.invalid("delete takes KIND NAME... or -f FILE|DIR|-, not %s",
                    files.isEmpty() ? "neither" : "both");
        }
        if (kind != null && names.isEmpty()) {
            throw BerthException.invalid("delete %s: name the objects (delete %s NAME...)", kind, kind);
        }
        int rc = 0;
        try (ApiClient c = Clients.connect(spec)) {
            if (kind != null) {
                String k = ObjectsApi.kindOf(kind);
                for (String n : names) {
                    rc |= delete(c, k, namespace, n, out, err);
                }
                return rc;
            }
            for (JsonNode plan : ApplyCommand.plan(c, files, false)) {
                String[] key = plan.path("key").asText().split("/", 3);
                String owner = plan.path("owner").asText("");
                if (owner.startsWith(ManifestDirectorySource.PREFIX)) {
                    err.println("berth: " + plan.path("key").asText() + " is managed by " + owner
                            + ": remove it from that file (the daemon would recreate it); not deleted");
                    rc = 1;
                } else if (owner.isEmpty()) {
                    if (!ignoreNotFound) {
                        err.println("berth: " + plan.path("key").asText() + " not found");
                        rc = 1;
                    }
                } else {
                    rc |= delete(c, key[0], key[1], key[2], out, err);
                }
            }
        }
        return rc;
    }

    private int delete(ApiClient c, String kind, String ns, String name, PrintWriter out, PrintWriter err) {
        try {
            c.delete(ObjectsApi.BASE + "/namespaces/" + ns + "/" + ObjectsApi.pluralOf(kind) + "/" + name);
            out.println(kind + "/" + ns + "/" + name + " deleted");
            return 0;
        } catch (BerthException e) {
            if (ignoreNotFound && e.category() == dev.berth.engine.errdefs.ErrorCategory.NOT_FOUND) {
                return 0;
            }
            err.println("berth: " + e.getMessage());
            return 1;
        }
    }
}
