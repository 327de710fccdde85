package dev.berth.engine.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostPortsTest {
    @Test
    void overlapNeedsSamePortProtocolAndAnOverlappingAddress() {
        var all = new HostPorts.Mapping(8080, 80, "TCP", null);
        assertTrue(all.overlaps(new HostPorts.Mapping(8080, 81, "tcp", "127.0.0.1")), "all addresses include 127.0.0.1");
        assertFalse(all.overlaps(new HostPorts.Mapping(8080, 80, "udp", null)));
        assertFalse(all.overlaps(new HostPorts.Mapping(8081, 80, "tcp", null)));
        assertFalse(new HostPorts.Mapping(8080, 80, "tcp", "127.0.0.1")
                .overlaps(new HostPorts.Mapping(8080, 80, "tcp", "127.0.0.2")));
        var hit = HostPorts.overlap(List.of(new HostPorts.Mapping(1, 1, "tcp", null), all),
                List.of(new HostPorts.Mapping(8080, 9, "tcp", "10.0.0.1")));
        assertEquals("8080/tcp", hit.orElseThrow()[0].toString());
        assertEquals("10.0.0.1:8080/tcp", hit.orElseThrow()[1].toString());
    }

    @Test
    void aListeningProcessHoldsItsPortAndAFreedPortIsFree() throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, lo)) {
            port = s.getLocalPort();
            assertTrue(HostPorts.heldByProcess(new HostPorts.Mapping(port, 80, "tcp", "127.0.0.1")));
        }
        assertFalse(HostPorts.heldByProcess(new HostPorts.Mapping(port, 80, "tcp", "127.0.0.1")));
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(lo, 0))) {
            assertTrue(HostPorts.heldByProcess(new HostPorts.Mapping(d.getLocalPort(), 53, "udp", "127.0.0.1")));
        }
    }
}
