package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code berth get sandboxes}: IP, published ports and the Containers that name each sandbox. */
class SandboxColumnsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static JsonNode json(String s) {
        return JSON.readTree(s.replace('\'', '"'));
    }

    @Test
    void portsShowHostToContainerWithProtocolAndSkipUnpublished() {
        assertEquals("8080->80/TCP,127.0.0.1:5353->53/UDP,[::1]:9000->9000/TCP", GetCommand.Columns.ports(json("""
                [{'containerPort': 80, 'hostPort': 8080, 'protocol': 'TCP'},
                 {'containerPort': 53, 'hostPort': 5353, 'protocol': 'UDP', 'hostIP': '127.0.0.1'},
                 {'containerPort': 9090},
                 {'containerPort': 9000, 'hostPort': 9000, 'hostIP': '::1'}]""")));
        assertEquals("<none>", GetCommand.Columns.ports(json("[]")));
    }

    @Test
    void membersGroupContainersBySandboxPerNamespace() {
        Map<String, List<String>> m = GetCommand.Columns.members(json("""
                [{'metadata': {'name': 'web', 'namespace': 'default'}, 'spec': {'sandbox': 'pod'}},
                 {'metadata': {'name': 'sidecar', 'namespace': 'default'}, 'spec': {'sandbox': 'pod'}},
                 {'metadata': {'name': 'other', 'namespace': 'prod'}, 'spec': {'sandbox': 'pod'}},
                 {'metadata': {'name': 'alone', 'namespace': 'default'}, 'spec': {}}]"""));
        assertEquals(Map.of("default/pod", List.of("web", "sidecar"), "prod/pod", List.of("other")), m);
    }

    @Test
    void tableHasIpPortsAndContainers() {
        JsonNode sb = json("""
                {'metadata': {'name': 'pod', 'namespace': 'default'},
                 'spec': {'ports': [{'containerPort': 8080, 'hostPort': 18080, 'protocol': 'TCP'}]},
                 'status': {'phase': 'Ready', 'ip': '10.88.0.5',
                   'conditions': [{'type': 'Ready', 'status': 'True', 'reason': 'Ready'}]}}""");
        StringWriter w = new StringWriter();
        GetCommand.Columns.print("Sandbox", List.of(sb), false, false, Map.of("default/pod", List.of("web", "poller")),
                new PrintWriter(w, true));
        List<String> lines = w.toString().lines().toList();
        assertEquals(List.of("NAME", "READY", "STATUS", "IP", "PORTS", "CONTAINERS", "AGE"),
                List.of(lines.get(0).trim().split("\\s+")));
        assertEquals(List.of("pod", "True", "Ready", "10.88.0.5", "18080->8080/TCP", "web,poller"),
                List.of(lines.get(1).trim().split("\\s+")));
    }
}
