package dev.berth.controller.api;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.ExecRequest;
import dev.berth.engine.runtime.ExecResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /apis/berth.dev/v1alpha1/namespaces/{ns}/containers/{name}/exec} with
 * {@code {"command": [...], "env": [...], "workingDir": "...", "timeoutSeconds": N}}: runs a process
 * in the container's task and answers its exit code and output ({@code berth exec}).
 */
public final class ExecApi {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Engine engine;

    public ExecApi(Engine engine) {
        this.engine = engine;
    }

    public void register(ApiServer api) {
        api.route("POST", ObjectsApi.BASE + "/namespaces/{namespace}/containers/{name}/exec", this::exec);
    }

    private ApiResponse exec(ApiRequest r) {
        JsonNode body = JSON.readTree(r.bodyText().isEmpty() ? "{}" : r.bodyText());
        List<String> command = strings(body.path("command"));
        if (command.isEmpty()) {
            throw BerthException.invalid("exec: command is empty; give the program and its arguments");
        }
        long timeout = body.path("timeoutSeconds").asLong(0);
        ExecRequest req = new ExecRequest(command, strings(body.path("env")),
                body.path("workingDir").isMissingNode() ? null : body.path("workingDir").asText(),
                timeout > 0 ? Duration.ofSeconds(timeout) : null);
        // a Container's task runs as its current revision's runtime id (<name>_<digest> after a surge rollout)
        String ns = r.param("namespace");
        String id = engine.runtime().find(ns, r.param("name")).isPresent() ? r.param("name")
                : dev.berth.reconcilers.container.RuntimeIds.current(engine.containers(), ns, r.param("name"));
        ExecResult res = engine.runtime().exec(ns, id, req);
        return ApiResponse.ok(Map.of("exitCode", res.exitCode(), "stdout", res.stdout(), "stderr", res.stderr()));
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }
}
