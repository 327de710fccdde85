package dev.berth.engine.sandbox;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Host port checks made before a sandbox's ports are handed to CNI's portmap plugin. portmap
 * forwards with DNAT rules and binds nothing, so a port a host process already listens on would be
 * silently shadowed for some clients and not others; and two sandboxes on one port would race for
 * it. Both are reported as a condition instead (Kubernetes' scheduler refuses the same overlap).
 * Stateless and thread-safe.
 */
public final class HostPorts {
    private HostPorts() {
    }

    /**
     * One host port as portmap receives it in {@code runtimeConfig.portMappings}.
     *
     * @param hostPort 1-65535
     * @param containerPort 1-65535
     * @param protocol "tcp" or "udp" (lower case, as the CNI convention spells it)
     * @param hostIP address to match, or empty for all
     */
    public record Mapping(int hostPort, int containerPort, String protocol, String hostIP) {
        public Mapping {
            protocol = protocol.toLowerCase(Locale.ROOT);
            hostIP = hostIP == null ? "" : hostIP;
        }

        /** Whether both would receive the same packets (same protocol and port, overlapping address). */
        public boolean overlaps(Mapping o) {
            return hostPort == o.hostPort && protocol.equals(o.protocol)
                    && (hostIP.isEmpty() || o.hostIP.isEmpty() || hostIP.equals(o.hostIP));
        }

        /** The mapping as CNI's {@code portMappings} capability spells it (hostIP only when set). */
        public java.util.Map<String, Object> toCni() {
            java.util.Map<String, Object> p = new java.util.LinkedHashMap<>();
            p.put("hostPort", hostPort);
            p.put("containerPort", containerPort);
            p.put("protocol", protocol);
            if (!hostIP.isEmpty()) {
                p.put("hostIP", hostIP);
            }
            return p;
        }

        @Override
        public String toString() {
            return (hostIP.isEmpty() ? "" : hostIP + ":") + hostPort + "/" + protocol;
        }
    }

    /** The first of {@code mine} that overlaps one of {@code theirs}, with it. */
    public static Optional<Mapping[]> overlap(List<Mapping> mine, List<Mapping> theirs) {
        for (Mapping m : mine) {
            for (Mapping t : theirs) {
                if (m.overlaps(t)) {
                    return Optional.of(new Mapping[] {m, t});
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Whether a host process holds {@code m}'s port: a bind on its address (all addresses when
     * none) fails. The probe socket is closed at once; a process that binds in between is not seen,
     * which is acceptable for a diagnostic (the sandbox still works for traffic portmap catches).
     */
    public static boolean heldByProcess(Mapping m) {
        try {
            InetAddress addr = m.hostIP().isEmpty() ? null : InetAddress.getByName(m.hostIP());
            InetSocketAddress sa = addr == null ? new InetSocketAddress(m.hostPort()) : new InetSocketAddress(addr, m.hostPort());
            if (m.protocol().equals("udp")) {
                try (DatagramSocket s = new DatagramSocket(null)) {
                    s.setReuseAddress(false);
                    s.bind(sa);
                }
            } else {
                try (ServerSocket s = new ServerSocket()) {
                    // SO_REUSEADDR only skips TIME_WAIT; a listener still makes the bind fail
                    s.setReuseAddress(true);
                    s.bind(sa);
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
