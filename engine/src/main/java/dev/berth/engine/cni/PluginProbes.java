package dev.berth.engine.cni;

import dev.berth.engine.errdefs.BerthException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.node.ObjectNode;

/**
 * Berth's own look at what the plugins it knows made for an attachment, without starting a
 * process: the files of {@code /sys/class/net} (the host's side) and {@code /proc/<pid>/net} of a
 * process in the attachment's namespace (the pause), and the one shared {@link RuleDump} for
 * iptables rules. What each probe verifies:
 * <ul>
 *   <li>{@code bridge}: the bridge exists; the host-side veth of the result (the interface listed
 *       just before the container's) exists and is still a port of that bridge; the container interface exists in the namespace with every address of
 *       the result on it (IPv4 from {@code fib_trie}'s local routes, IPv6 from {@code if_inet6});</li>
 *   <li>{@code loopback}: {@code lo} is up in the namespace (it is listed in {@code igmp} only then);</li>
 *   <li>{@code portmap} (IPv4): the jump from {@code CNI-HOSTPORT-DNAT} commented with the container
 *       id, a DNAT to the container's address in the chain it jumps to, and (for ports on
 *       127.0.0.1, with {@code snat}) {@code route_localnet} still on for the bridge;</li>
 *   <li>{@code firewall} (iptables backend, IPv4): the {@code CNI-FORWARD} accept rule of each address.</li>
 * </ul>
 * Other plugins, an IPv6 address for portmap or firewall, or another firewall backend are not
 * probed ({@link #covers} is false) and get the plugin's own CHECK. Thread-safe.
 */
final class PluginProbes {
    private final RuleDump rules;
    private final Path sysClassNet;
    private final Path procSysIpv4;

    PluginProbes(RuleDump rules, Path sysClassNet, Path procSysIpv4) {
        this.rules = rules;
        this.sysClassNet = sysClassNet;
        this.procSysIpv4 = procSysIpv4;
    }

    /** Whether {@link #probe} verifies {@code plugin} for an attachment with {@code result}. */
    static boolean covers(ObjectNode plugin, CniResult result) {
        boolean ipv6 = result.ips().stream().anyMatch(ip -> !ip.ipv4());
        return switch (plugin.path("type").asString()) {
            case "bridge", "loopback" -> true;
            case "portmap" -> !ipv6;
            case "firewall" -> !ipv6 && plugin.path("backend").asString("iptables").equals("iptables");
            default -> false;
        };
    }

    /**
     * Verifies {@code plugin}'s work for {@code a}; a BerthException naming the plugin says what is
     * gone. {@code fresh} reads the iptables rules now instead of reusing a recent dump. False when
     * this node cannot be probed for it after all (the caller runs the plugin's CHECK).
     */
    boolean probe(NetworkConfigList list, ObjectNode plugin, Attachment a, CniResult result, long pid, boolean fresh) {
        Path procNet = Path.of("/proc", Long.toString(pid), "net");
        switch (plugin.path("type").asString()) {
            case "bridge" -> bridge(list, plugin, a, result, procNet);
            case "loopback" -> {
                if (Files.isRegularFile(procNet.resolve("dev")) && !Files.exists(procNet.resolve("igmp"))) {
                    return false; // a kernel without IPv4 multicast has no igmp file: the plugin's CHECK instead
                }
                if (!upInterfaces(procNet, list, "loopback", a).contains("lo")) {
                    throw gone(list, "loopback", a, "lo is down");
                }
            }
            case "portmap" -> portmap(list, plugin, a, result, fresh);
            case "firewall" -> firewall(list, a, result, fresh);
            default -> throw new IllegalArgumentException("no probe for plugin " + plugin.path("type").asString());
        }
        return true;
    }

    private void bridge(NetworkConfigList list, ObjectNode plugin, Attachment a, CniResult result, Path procNet) {
        String bridge = plugin.path("bridge").asString("cni0");
        if (!Files.isDirectory(sysClassNet.resolve(bridge))) {
            throw gone(list, "bridge", a, "bridge " + bridge + " is gone");
        }
        // bridge's result lists the bridge, the host veth and the container interface, in that order;
        // later plugins may add interfaces of their own (bandwidth's ifb device) after them
        List<CniResult.Interface> ifs = result.interfaces();
        for (int k = 1; k < ifs.size(); k++) {
            CniResult.Interface i = ifs.get(k - 1);
            if (!ifs.get(k).name().equals(a.ifName()) || ifs.get(k).sandbox().isEmpty() || !i.sandbox().isEmpty()
                    || i.name().equals(bridge) || i.name().isEmpty()) {
                continue;
            }
            Path veth = sysClassNet.resolve(i.name());
            if (!Files.isDirectory(veth)) {
                throw gone(list, "bridge", a, "host interface " + i.name() + " is gone");
            }
            String on = "";
            try {
                on = Files.readSymbolicLink(veth.resolve("master")).getFileName().toString();
            } catch (IOException e) {
                // not a port of any bridge
            }
            if (!on.equals(bridge)) {
                throw gone(list, "bridge", a, "host interface " + i.name() + " is no longer a port of bridge " + bridge);
            }
        }
        if (!read(procNet.resolve("dev"), list, "bridge", a).contains(" " + a.ifName() + ":")) {
            throw gone(list, "bridge", a, a.ifName() + " is gone from the namespace");
        }
        Set<InetAddress> v4 = null;
        Set<InetAddress> v6 = null;
        for (CniResult.Ip ip : result.ips()) {
            InetAddress want = address(ip.ip());
            boolean there;
            if (ip.ipv4()) {
                v4 = v4 != null ? v4 : localIpv4(read(procNet.resolve("fib_trie"), list, "bridge", a));
                there = v4.contains(want);
            } else {
                v6 = v6 != null ? v6 : ipv6On(read(procNet.resolve("if_inet6"), list, "bridge", a), a.ifName());
                there = v6.contains(want);
            }
            if (!there) {
                throw gone(list, "bridge", a, "address " + ip.address() + " is no longer on " + a.ifName());
            }
        }
    }

    /**
     * portmap's DNAT rules, and (with its default {@code snat}) {@code route_localnet} on the bridge:
     * portmap turns it on so that 127.0.0.1 can be DNATed across to the container; with it off the
     * rules are all there and yet a port published on 127.0.0.1 does not answer.
     */
    private void portmap(NetworkConfigList list, ObjectNode plugin, Attachment a, CniResult result, boolean fresh) {
        boolean snat = plugin.path("snat").asBoolean(true);
        if (!a.capabilityArgs().containsKey("portMappings")) {
            return;
        }
        if ((fresh || !portmapRulesIn(rules.rules(false), a, result)) && !portmapRulesIn(rules.rules(true), a, result)) {
            throw gone(list, "portmap", a, "its DNAT rules to " + result.primaryIp() + " are gone from the nat table");
        }
        if (snat && answersOnLoopback(a.capabilityArgs().get("portMappings"))) {
            for (CniResult.Interface i : result.interfaces()) {
                if (i.sandbox().isEmpty() && !i.name().isEmpty() && Files.isDirectory(sysClassNet.resolve(i.name()).resolve("bridge"))) {
                    Path flag = procSysIpv4.resolve("conf").resolve(i.name()).resolve("route_localnet");
                    String v;
                    try {
                        v = Files.readString(flag).trim();
                    } catch (IOException e) {
                        continue; // the bridge went away meanwhile: bridge's probe reports that
                    }
                    if (v.equals("0")) {
                        throw gone(list, "portmap", a, "route_localnet is 0 on " + i.name() + " (" + flag
                                + "), so its ports no longer answer on 127.0.0.1");
                    }
                }
            }
        }
    }

    /** Whether a portMappings argument publishes a port on 127.0.0.1 (no hostIP, 0.0.0.0 or 127.x). */
    static boolean answersOnLoopback(Object portMappings) {
        if (!(portMappings instanceof List<?> l)) {
            return false;
        }
        for (Object m : l) {
            Object ip = m instanceof java.util.Map<?, ?> map ? map.get("hostIP") : null;
            String s = ip == null ? "" : ip.toString();
            if (s.isEmpty() || s.equals("0.0.0.0") || s.startsWith("127.")) {
                return true;
            }
        }
        return false;
    }

    /** portmap's rules of {@code a} in an iptables-save text. */
    static boolean portmapRulesIn(String dump, Attachment a, CniResult result) {
        String comment = "id: \\\"" + a.containerId() + "\\\"";
        String chain = null;
        for (String line : dump.split("\n")) {
            int j = line.indexOf(" -j CNI-DN-");
            if (line.contains(comment) && j >= 0) {
                chain = line.substring(j + 4).split(" ")[0];
            }
        }
        if (chain == null) {
            return false;
        }
        String to = "--to-destination " + result.primaryIp() + ":";
        for (String line : dump.split("\n")) {
            if (line.startsWith("-A " + chain + " ") && line.contains(to)) {
                return true;
            }
        }
        return false;
    }

    private void firewall(NetworkConfigList list, Attachment a, CniResult result, boolean fresh) {
        for (CniResult.Ip ip : result.ips()) {
            if ((fresh || !firewallRuleIn(rules.rules(false), ip.ip())) && !firewallRuleIn(rules.rules(true), ip.ip())) {
                throw gone(list, "firewall", a, "its CNI-FORWARD rule for " + ip.ip() + " is gone from the filter table");
            }
        }
    }

    private static boolean firewallRuleIn(String dump, String ip) {
        String from = " -s " + ip + "/32 ";
        for (String line : dump.split("\n")) {
            if (line.startsWith("-A CNI-FORWARD ") && line.contains(from) && line.contains("-j ACCEPT")) {
                return true;
            }
        }
        return false;
    }

    /** Interfaces that are up with IPv4 in the namespace: {@code /proc/net/igmp} lists only those. */
    private static Set<String> upInterfaces(Path procNet, NetworkConfigList list, String plugin, Attachment a) {
        Set<String> up = new HashSet<>();
        for (String line : read(procNet.resolve("igmp"), list, plugin, a).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && !line.startsWith("\t") && f[0].matches("\\d+")) {
                up.add(f[1]);
            }
        }
        return up;
    }

    /** The addresses of {@code fib_trie}'s local ({@code /32 host LOCAL}) routes. */
    static Set<InetAddress> localIpv4(String fibTrie) {
        Set<InetAddress> out = new HashSet<>();
        String last = null;
        for (String line : fibTrie.split("\n")) {
            String t = line.trim();
            if (t.startsWith("|-- ") || t.startsWith("+-- ")) {
                last = t.substring(4).split(" ")[0];
            } else if (t.startsWith("/32 host LOCAL") && last != null) {
                out.add(address(last));
            }
        }
        return out;
    }

    /** The IPv6 addresses of {@code ifName} in an {@code if_inet6} text. */
    static Set<InetAddress> ipv6On(String ifInet6, String ifName) {
        Set<InetAddress> out = new HashSet<>();
        for (String line : ifInet6.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[5].equals(ifName) && f[0].length() == 32) {
                try {
                    out.add(InetAddress.getByAddress(HexFormat.of().parseHex(f[0])));
                } catch (UnknownHostException | IllegalArgumentException e) {
                    // not an address line
                }
            }
        }
        return out;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw BerthException.invalid("\"%s\" is not an IP address", literal);
        }
    }

    private static String read(Path file, NetworkConfigList list, String plugin, Attachment a) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw gone(list, plugin, a, "the namespace cannot be read through " + file + " (" + e.getMessage() + ")");
        }
    }

    private static BerthException gone(NetworkConfigList list, String plugin, Attachment a, String what) {
        return BerthException.unavailable("CNI plugin %s of network %s (%s) failed Berth's probe for %s in %s: %s", plugin,
                list.name(), Cni.where(list), a.containerId(), a.netns(), what);
    }
}
