package dev.berth.controller.cli;

import dev.berth.controller.api.ApiClient;
import dev.berth.controller.api.ObjectsApi;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code berth exec NAME -- CMD...}: runs a command in a Container's task through the daemon; exits with its code. */
@Command(name = "exec", description = "Run a command in a running container (through the daemon); exit with its exit code.")
public final class ExecCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default")
    String namespace;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE")
    List<String> env;

    @Option(names = {"-w", "--workdir"})
    String workdir;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD")
    List<String> command;

    @Override
    public Integer call() {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("command", command);
        body.put("env", env == null ? List.of() : env);
        if (workdir != null) {
            body.put("workingDir", workdir);
        }
        try (ApiClient c = Clients.connect(spec)) {
            JsonNode r = c.post(ObjectsApi.BASE + "/namespaces/" + namespace + "/containers/" + name + "/exec",
                    JsonMapper.builder().build().writeValueAsString(body), "application/json");
            spec.commandLine().getOut().print(r.path("stdout").asText());
            spec.commandLine().getOut().flush();
            spec.commandLine().getErr().print(r.path("stderr").asText());
            spec.commandLine().getErr().flush();
            return r.path("exitCode").asInt();
        }
    }
}
