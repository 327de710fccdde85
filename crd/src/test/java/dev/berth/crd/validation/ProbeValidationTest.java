package dev.berth.crd.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.Probe;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Probe fields decode with kubelet's defaults and every bad value gets a field-path error. */
class ProbeValidationTest {
    private final SpecCodec codec = new SpecCodec();

    private Container decode(String spec) {
        return (Container) codec.decode("t", "apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata: {name: c}\n"
                + "spec:\n  image: busybox\n" + spec).get(0).object();
    }

    private List<String> errors(String spec) {
        return Validator.validate(decode(spec)).stream().map(FieldError::toString).toList();
    }

    @Test
    void validProbesDecodeWithKubeletDefaults() {
        String spec = """
                  startupProbe:
                    tcpSocket: {port: 8080}
                    failureThreshold: 30
                  livenessProbe:
                    httpGet:
                      path: /healthz
                      port: 8080
                      scheme: HTTPS
                      httpHeaders: [{name: X-Probe, value: berth}]
                  readinessProbe:
                    exec: {command: [cat, /tmp/ready]}
                    initialDelaySeconds: 5
                    periodSeconds: 2
                    successThreshold: 2
                """;
        assertEquals(List.of(), errors(spec));
        Container c = decode(spec);
        Probe l = c.getSpec().livenessProbe();
        assertEquals(0, l.initialDelaySeconds());
        assertEquals(10, l.periodSeconds());
        assertEquals(1, l.timeoutSeconds());
        assertEquals(1, l.successThreshold());
        assertEquals(3, l.failureThreshold());
        assertEquals(Probe.Scheme.HTTPS, l.httpGet().scheme());
        assertEquals("X-Probe", l.httpGet().httpHeaders().get(0).name());
        assertEquals(30, c.getSpec().startupProbe().failureThreshold());
        assertEquals(List.of("cat", "/tmp/ready"), c.getSpec().readinessProbe().exec().command());
        assertEquals(2, c.getSpec().readinessProbe().successThreshold());
        assertEquals("/", decode("  readinessProbe: {httpGet: {port: 80}}\n").getSpec().readinessProbe().httpGet().path());
    }

    @Test
    void aNamedPortIsRefusedWithItsPath() {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> decode("  readinessProbe: {httpGet: {port: http}}\n"));
        assertEquals("t:6: spec.readinessProbe.httpGet.port: \"http\" is a named port, but neither Containers nor"
                + " Sandboxes name their ports here; give the port number (e.g. port: 8080)", e.getMessage());
        Exception tcp = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> decode("  livenessProbe: {tcpSocket: {port: \"8080\"}}\n"));
        assertEquals("t:6: spec.livenessProbe.tcpSocket.port: \"8080\" is a named port, but neither Containers nor"
                + " Sandboxes name their ports here; give the port number (e.g. port: 8080)", tcp.getMessage());
    }

    private static dev.berth.crd.sandbox.SandboxSpec sandbox(String yaml) {
        return ((dev.berth.crd.sandbox.Sandbox) new SpecCodec().decode("s", "apiVersion: berth.dev/v1alpha1\n"
                + "kind: Sandbox\nmetadata: {name: pod}\nspec:\n" + yaml).get(0).object()).getSpec();
    }

    @Test
    void aProbePortTheSandboxDoesNotDeclareIsNamedWhenItDeclaresAny() {
        var spec = decode("""
                  sandbox: pod
                  readinessProbe: {httpGet: {path: /ready, port: 8081}}
                  livenessProbe: {tcpSocket: {port: 8080}}
                  startupProbe: {httpGet: {port: 9000, host: 127.0.0.1}}
                """).getSpec();
        var declares = sandbox("  ports: [{containerPort: 8080, hostPort: 18080}, {containerPort: 53, protocol: UDP}]\n");
        assertEquals(List.of("spec.readinessProbe.httpGet.port: 8081 is not a TCP port Sandbox pod declares (its"
                + " spec.ports containerPorts: [8080]); probe one of those, or add {containerPort: 8081} to the Sandbox's"
                + " spec.ports (without hostPort it is only declared)"),
                Validator.probePorts(spec, "pod", declares).stream().map(FieldError::toString).toList());
        // a Sandbox that declares no ports says nothing about them: no check
        assertEquals(List.of(), Validator.probePorts(spec, "pod", sandbox("  hostname: pod\n")));
    }

    @Test
    void portsOutsideTheRangeAreNamed() {
        assertEquals(List.of("spec.livenessProbe.httpGet.port: 70000 is outside 1-65535",
                "spec.readinessProbe.tcpSocket.port: 0 is outside 1-65535"),
                errors("  livenessProbe: {httpGet: {port: 70000}}\n  readinessProbe: {tcpSocket: {port: 0}}\n"));
        assertEquals(List.of("spec.startupProbe.tcpSocket.port: required: a port from 1 to 65535"),
                errors("  startupProbe: {tcpSocket: {}}\n"));
    }

    @Test
    void timingsAndThresholds() {
        assertEquals(List.of("spec.readinessProbe.initialDelaySeconds: -1 is negative; it must be at least 0",
                "spec.readinessProbe.periodSeconds: 0 is too small; it must be at least 1 (seconds and thresholds"
                        + " start at 1; leave it out for kubelet's default)",
                "spec.readinessProbe.timeoutSeconds: 0 is too small; it must be at least 1 (seconds and thresholds"
                        + " start at 1; leave it out for kubelet's default)",
                "spec.readinessProbe.failureThreshold: -2 is negative; it must be at least 1 (seconds and thresholds"
                        + " start at 1; leave it out for kubelet's default)"),
                errors("  readinessProbe: {tcpSocket: {port: 80}, initialDelaySeconds: -1, periodSeconds: 0,"
                        + " timeoutSeconds: 0, failureThreshold: -2}\n"));
        assertEquals(List.of("spec.livenessProbe.successThreshold: 2 must be 1 for a livenessProbe (only a"
                + " readinessProbe may need more than one success)"),
                errors("  livenessProbe: {tcpSocket: {port: 80}, successThreshold: 2}\n"));
    }

    @Test
    void actions() {
        assertEquals(List.of("spec.livenessProbe.exec.command: required: the command to run in the container,"
                + " e.g. [cat, /tmp/healthy]"), errors("  livenessProbe: {exec: {command: []}}\n"));
        assertEquals(List.of("spec.livenessProbe.exec.command[0]: must name the program to run, not be empty"),
                errors("  livenessProbe: {exec: {command: [\"\", x]}}\n"));
        assertEquals(List.of("spec.readinessProbe: set one of exec, httpGet and tcpSocket (e.g. httpGet:"
                + " {path: /healthz, port: 8080})"), errors("  readinessProbe: {periodSeconds: 5}\n"));
        assertEquals(List.of("spec.readinessProbe: set only one of exec, httpGet and tcpSocket, not exec and tcpSocket"),
                errors("  readinessProbe: {exec: {command: [\"true\"]}, tcpSocket: {port: 1}}\n"));
        assertEquals(List.of("spec.readinessProbe.httpGet.path: \"healthz\" must start with /",
                "spec.readinessProbe.httpGet.httpHeaders[0].name: \"X Probe\" is not a header name (letters, digits"
                        + " and !#$%&'*+.^_`|~-, e.g. X-Probe)"),
                errors("  readinessProbe: {httpGet: {port: 80, path: healthz, httpHeaders: [{name: X Probe, value: a}]}}\n"));
    }
}
