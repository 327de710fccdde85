package dev.berth.engine.cni;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The result of an ADD (the last plugin's), in the fields Berth reports: interfaces and IP
 * configurations, read from a 1.0.0 or 0.4.0 result alike (0.4.0 adds a {@code version} per IP,
 * which is ignored). The whole JSON is kept, as it becomes the {@code prevResult} of CHECK and DEL.
 * Immutable.
 */
public record CniResult(String cniVersion, List<Interface> interfaces, List<Ip> ips, ObjectNode json) {
    /** An interface the plugins created or used; {@code sandbox} is the netns path when it is inside one. */
    public record Interface(String name, String mac, String sandbox) {
    }

    /**
     * An address assigned to the container.
     *
     * @param address CIDR notation (10.88.0.5/16)
     * @param gateway may be empty
     * @param iface index into {@link #interfaces()}, or -1
     */
    public record Ip(String address, String gateway, int iface) {
        /** The address without its prefix length. */
        public String ip() {
            int slash = address.indexOf('/');
            return slash < 0 ? address : address.substring(0, slash);
        }

        public boolean ipv4() {
            return ip().indexOf(':') < 0;
        }
    }

    public CniResult {
        interfaces = List.copyOf(interfaces);
        ips = List.copyOf(ips);
        json = json.deepCopy();
    }

    /** Reads a plugin's stdout. */
    public static CniResult of(ObjectNode json) {
        List<Interface> ifs = new ArrayList<>();
        for (JsonNode i : json.path("interfaces")) {
            ifs.add(new Interface(i.path("name").asString(""), i.path("mac").asString(""), i.path("sandbox").asString("")));
        }
        List<Ip> ips = new ArrayList<>();
        for (JsonNode ip : json.path("ips")) {
            ips.add(new Ip(ip.path("address").asString(""), ip.path("gateway").asString(""),
                    ip.has("interface") ? ip.path("interface").asInt(-1) : -1));
        }
        return new CniResult(json.path("cniVersion").asString(""), ifs, ips, json);
    }

    /** The first IPv4 address (without prefix), else the first address, else empty. */
    public String primaryIp() {
        return ips.stream().filter(Ip::ipv4).findFirst().or(() -> ips.stream().findFirst()).map(Ip::ip).orElse("");
    }

    /** The interfaces inside the container's namespace. */
    public List<Interface> containerInterfaces() {
        return interfaces.stream().filter(i -> !i.sandbox().isEmpty()).toList();
    }
}
