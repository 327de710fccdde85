package dev.berth.crd.validation;

import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.Probe;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Spec rules for a Container's probes, with kubelet's limits. Stateless. */
final class ProbeChecks {
    /** An HTTP header field name (RFC 9110 token). */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private ProbeChecks() {
    }

    static void probes(ContainerSpec spec, Validator.Errors e) {
        probe("spec.startupProbe", spec.startupProbe(), true, e);
        probe("spec.livenessProbe", spec.livenessProbe(), true, e);
        probe("spec.readinessProbe", spec.readinessProbe(), false, e);
    }

    private static void probe(String path, Probe p, boolean successMustBeOne, Validator.Errors e) {
        if (p == null) {
            return;
        }
        List<String> actions = new ArrayList<>();
        if (p.exec() != null) {
            actions.add("exec");
            exec(path + ".exec", p.exec(), e);
        }
        if (p.httpGet() != null) {
            actions.add("httpGet");
            http(path + ".httpGet", p.httpGet(), e);
        }
        if (p.tcpSocket() != null) {
            actions.add("tcpSocket");
            port(path + ".tcpSocket.port", p.tcpSocket().port(), e);
            host(path + ".tcpSocket.host", p.tcpSocket().host(), e);
        }
        if (actions.isEmpty()) {
            e.add(path, "set one of exec, httpGet and tcpSocket (e.g. httpGet: {path: /healthz, port: 8080})");
        } else if (actions.size() > 1) {
            e.add(path, "set only one of exec, httpGet and tcpSocket, not " + String.join(" and ", actions));
        }
        atLeast(path + ".initialDelaySeconds", p.initialDelaySeconds(), 0, e);
        atLeast(path + ".periodSeconds", p.periodSeconds(), 1, e);
        atLeast(path + ".timeoutSeconds", p.timeoutSeconds(), 1, e);
        atLeast(path + ".successThreshold", p.successThreshold(), 1, e);
        atLeast(path + ".failureThreshold", p.failureThreshold(), 1, e);
        if (successMustBeOne && p.successThreshold() > 1) {
            e.add(path + ".successThreshold", p.successThreshold() + " must be 1 for a "
                    + path.substring("spec.".length()) + " (only a readinessProbe may need more than one success)");
        }
    }

    /**
     * HTTP and TCP probes of a Container in Sandbox {@code sandbox} against the ports the Sandbox
     * declares: only when it declares some (then they are the ports its containers serve) and only
     * for probes of the sandbox's own address (no {@code host}).
     */
    static void portsDeclared(ContainerSpec spec, String sandbox, dev.berth.crd.sandbox.SandboxSpec sb, Validator.Errors e) {
        if (sb == null || sb.ports() == null || sb.ports().isEmpty()) {
            return;
        }
        java.util.Set<Integer> declared = new java.util.TreeSet<>();
        for (var m : sb.ports()) {
            if (m != null && m.containerPort() != null && m.protocol() == dev.berth.crd.sandbox.SandboxSpec.Protocol.TCP) {
                declared.add(m.containerPort());
            }
        }
        String[] names = {"spec.startupProbe", "spec.livenessProbe", "spec.readinessProbe"};
        Probe[] probes = {spec.startupProbe(), spec.livenessProbe(), spec.readinessProbe()};
        for (int i = 0; i < probes.length; i++) {
            Probe p = probes[i];
            if (p == null) {
                continue;
            }
            String path = p.httpGet() != null ? names[i] + ".httpGet" : p.tcpSocket() != null ? names[i] + ".tcpSocket" : null;
            Integer port = p.httpGet() != null ? p.httpGet().port() : p.tcpSocket() != null ? p.tcpSocket().port() : null;
            String host = p.httpGet() != null ? p.httpGet().host() : p.tcpSocket() != null ? p.tcpSocket().host() : null;
            if (path == null || port == null || host != null || declared.contains(port)) {
                continue;
            }
            e.add(path + ".port", port + " is not a TCP port Sandbox " + sandbox + " declares (its spec.ports"
                    + " containerPorts: " + (declared.isEmpty() ? "none" : declared) + "); probe one of those, or add"
                    + " {containerPort: " + port + "} to the Sandbox's spec.ports (without hostPort it is only declared)");
        }
    }

    private static void atLeast(String path, int value, int min, Validator.Errors e) {
        if (value < min) {
            e.add(path, value + (value < 0 ? " is negative; " : " is too small; ") + "it must be at least " + min
                    + (min == 1 ? " (seconds and thresholds start at 1; leave it out for kubelet's default)" : ""));
        }
    }

    private static void exec(String path, Probe.ExecAction x, Validator.Errors e) {
        if (x.command() == null || x.command().isEmpty()) {
            e.add(path + ".command", "required: the command to run in the container, e.g. [cat, /tmp/healthy]");
            return;
        }
        for (int i = 0; i < x.command().size(); i++) {
            if (x.command().get(i) == null) {
                e.add(path + ".command[" + i + "]", "must be a string, not null");
            }
        }
        if (x.command().get(0) != null && x.command().get(0).isEmpty()) {
            e.add(path + ".command[0]", "must name the program to run, not be empty");
        }
    }

    private static void http(String path, Probe.HttpGetAction h, Validator.Errors e) {
        port(path + ".port", h.port(), e);
        host(path + ".host", h.host(), e);
        if (!h.path().startsWith("/")) {
            e.add(path + ".path", "\"" + h.path() + "\" must start with /");
        } else if (h.path().chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            e.add(path + ".path", "\"" + h.path() + "\" must not contain spaces or control characters (percent-encode them)");
        }
        if (h.httpHeaders() == null) {
            return;
        }
        for (int i = 0; i < h.httpHeaders().size(); i++) {
            String hp = path + ".httpHeaders[" + i + "]";
            Probe.HttpHeader hh = h.httpHeaders().get(i);
            if (hh == null) {
                e.add(hp, "must be a mapping with name and value");
                continue;
            }
            if (hh.name() == null || !TOKEN.matcher(hh.name()).matches()) {
                e.add(hp + ".name", (hh.name() == null ? "required" : "\"" + hh.name() + "\" is not a header name")
                        + " (letters, digits and !#$%&'*+.^_`|~-, e.g. X-Probe)");
            }
            if (hh.value() == null) {
                e.add(hp + ".value", "required (may be empty)");
            } else if (hh.value().indexOf('\r') >= 0 || hh.value().indexOf('\n') >= 0) {
                e.add(hp + ".value", "must not contain a line break");
            }
        }
    }

    private static void port(String path, Integer port, Validator.Errors e) {
        if (port == null) {
            e.add(path, "required: a port from 1 to 65535");
        } else if (port < 1 || port > 65535) {
            e.add(path, port + " is outside 1-65535");
        }
    }

    private static void host(String path, String host, Validator.Errors e) {
        if (host != null && (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@'))) {
            e.add(path, "\"" + host + "\" is not a host name or IP address; leave it out to use the container's address");
        }
    }
}
