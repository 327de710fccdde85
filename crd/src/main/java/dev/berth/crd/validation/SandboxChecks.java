package dev.berth.crd.validation;

import dev.berth.crd.quantity.QuantityException;
import dev.berth.crd.sandbox.Bandwidths;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.sandbox.SandboxSpec;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Spec rules for Sandbox: ports, DNS, host aliases and how they combine with the network mode. Stateless. */
final class SandboxChecks {
    /** glibc's resolver reads at most three nameserver lines (MAXNS); kubelet refuses more too. */
    private static final int MAX_NAMESERVERS = 3;
    /** Kubernetes' limit on search domains (since 1.28). */
    private static final int MAX_SEARCHES = 32;
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
            + "(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern OPTION = Pattern.compile("[A-Za-z0-9_-]+(:[0-9]+)?");

    private SandboxChecks() {
    }

    static void sandbox(SandboxSpec spec, Validator.Errors e) {
        if (spec == null) {
            return;
        }
        if (spec.hostname() != null) {
            e.check("spec.hostname", Names.dns1123Label(spec.hostname()));
            if (spec.network() == Sandbox.NetworkMode.Host) {
                e.add("spec.hostname", "cannot be set with network Host (the sandbox uses the host's UTS namespace"
                        + " and so its hostname); remove spec.hostname or use network Cni");
            }
        }
        ports(spec, e);
        dns(spec.dns(), e);
        hostAliases(spec.hostAliases(), e);
        ips(spec, e);
        if (spec.bandwidth() != null) {
            bandwidth(spec.network(), "spec.bandwidth", spec.bandwidth(), e);
        }
        SpecChecks.nodeName(spec.nodeName(), e);
    }

    /** kubelet's bandwidth annotations on a Sandbox without spec.bandwidth (which wins when both are set). */
    static void bandwidthAnnotations(Sandbox sb, Validator.Errors e) {
        SandboxSpec spec = sb.getSpec();
        Map<String, String> a = sb.getMetadata() == null ? null : sb.getMetadata().getAnnotations();
        if (a == null || (spec != null && spec.bandwidth() != null)) {
            return;
        }
        for (String key : List.of(Bandwidths.INGRESS_ANNOTATION, Bandwidths.EGRESS_ANNOTATION)) {
            if (a.containsKey(key)) {
                String path = "metadata.annotations[" + key + "]";
                rate(path, a.get(key), e);
                if (spec != null && spec.network() != Sandbox.NetworkMode.Cni) {
                    e.add(path, "needs network Cni (the bandwidth plugin shapes the sandbox's CNI interface); remove it");
                }
            }
        }
    }

    private static void ips(SandboxSpec spec, Validator.Errors e) {
        List<String> ips = spec.ips();
        if (ips == null) {
            return;
        }
        if (spec.network() != Sandbox.NetworkMode.Cni && !ips.isEmpty()) {
            e.add("spec.ips", "needs network Cni (addresses are assigned by the CNI network's IPAM); remove spec.ips"
                    + " or use network Cni");
        }
        Map<Boolean, Integer> family = new HashMap<>();
        for (int i = 0; i < ips.size(); i++) {
            String path = "spec.ips[" + i + "]";
            String ip = ips.get(i);
            String addr = ip == null ? null : ip.contains("/") ? ip.substring(0, ip.indexOf('/')) : ip;
            Optional<String> bad = ipLiteral(addr);
            if (bad.isPresent()) {
                e.add(path, "\"" + ip + "\" is not an IP address with an optional prefix length (e.g. 10.88.0.7 or"
                        + " 10.88.0.7/24)");
                continue;
            }
            boolean v6 = addr.indexOf(':') >= 0;
            if (ip.contains("/")) {
                String len = ip.substring(ip.indexOf('/') + 1);
                int max = v6 ? 128 : 32;
                if (!len.matches("[0-9]{1,3}") || Integer.parseInt(len) > max) {
                    e.add(path, "\"" + ip + "\" has a bad prefix length (0-" + max + ")");
                }
            }
            Integer first = family.putIfAbsent(v6, i);
            if (first != null) {
                e.add(path, "a second " + (v6 ? "IPv6" : "IPv4") + " address (spec.ips[" + first + "] is one); the"
                        + " sandbox has one interface and IPAM gives it one address per family");
            }
        }
    }

    private static void bandwidth(Sandbox.NetworkMode network, String path, SandboxSpec.Bandwidth b,
            Validator.Errors e) {
        if (network != Sandbox.NetworkMode.Cni) {
            e.add(path, "needs network Cni (the bandwidth plugin shapes the sandbox's CNI interface); remove it or use"
                    + " network Cni");
        }
        if (b.ingressRate() == null && b.egressRate() == null) {
            e.add(path, "set ingressRate, egressRate or both (bits per second, e.g. 10M)");
        }
        rateAndBurst(path + ".ingress", b.ingressRate(), b.ingressBurst(), e);
        rateAndBurst(path + ".egress", b.egressRate(), b.egressBurst(), e);
    }

    private static void rateAndBurst(String prefix, String rate, String burst, Validator.Errors e) {
        if (rate != null) {
            rate(prefix + "Rate", rate, e);
        }
        if (burst == null) {
            return;
        }
        if (rate == null) {
            e.add(prefix + "Burst", "needs " + prefix.substring(prefix.lastIndexOf('.') + 1) + "Rate: a burst is the"
                    + " bucket of a rate limit");
        }
        try {
            long bits = Bandwidths.bits(burst);
            if (bits > Bandwidths.MAX_BURST) {
                e.add(prefix + "Burst", "\"" + burst + "\" is too large: the bandwidth plugin takes bursts below 4 GiB"
                        + " (" + Bandwidths.MAX_BURST + " bits)");
            }
        } catch (QuantityException ex) {
            e.add(prefix + "Burst", ex.getMessage() + " (bits, e.g. 1M)");
        }
    }

    private static void rate(String path, String rate, Validator.Errors e) {
        try {
            long bits = Bandwidths.bits(rate);
            if (bits < Bandwidths.MIN_RATE || bits > Bandwidths.MAX_RATE) {
                e.add(path, "\"" + rate + "\" is out of range: between 1k and 1P bits per second");
            }
        } catch (QuantityException ex) {
            e.add(path, ex.getMessage() + " (bits per second, e.g. 10M)");
        }
    }

    private static void ports(SandboxSpec spec, Validator.Errors e) {
        List<SandboxSpec.PortMapping> ports = spec.ports();
        if (ports == null) {
            return;
        }
        Map<String, Integer> hostSeen = new HashMap<>();
        for (int i = 0; i < ports.size(); i++) {
            String path = "spec.ports[" + i + "]";
            SandboxSpec.PortMapping p = ports.get(i);
            if (p == null) {
                e.add(path, "must be a mapping with containerPort (and hostPort, protocol, hostIP)");
                continue;
            }
            if (p.containerPort() == null) {
                e.add(path + ".containerPort", "required: the port inside the sandbox (1-65535)");
            } else {
                e.check(path + ".containerPort", port(p.containerPort()));
            }
            if (p.published()) {
                e.check(path + ".hostPort", port(p.hostPort()));
            }
            if (p.hostIP() != null) {
                e.check(path + ".hostIP", ipLiteral(p.hostIP()));
                if (!p.published()) {
                    e.add(path + ".hostIP", "needs a hostPort: hostIP says where a published port listens");
                }
            }
            if (p.published()) {
                if (spec.network() == Sandbox.NetworkMode.None) {
                    e.add(path + ".hostPort", "cannot publish a port with network None (the sandbox has loopback"
                            + " only); use network Cni or remove the hostPort");
                } else if (spec.network() == Sandbox.NetworkMode.Host && p.containerPort() != null
                        && !p.hostPort().equals(p.containerPort())) {
                    e.add(path + ".hostPort", p.hostPort() + " must equal containerPort " + p.containerPort()
                            + " with network Host (the sandbox listens on the host's own ports)");
                }
                String key = p.protocol() + "/" + (p.hostIP() == null ? "*" : p.hostIP()) + ":" + p.hostPort();
                Integer first = hostSeen.putIfAbsent(key, i);
                if (first != null) {
                    e.add(path + ".hostPort", p.protocol() + " " + p.hostPort()
                            + " is already published by spec.ports[" + first + "]");
                }
            }
        }
    }

    private static Optional<String> port(int port) {
        if (port < 1 || port > 65535) {
            return Optional.of(port + " is not a port number (1-65535)");
        }
        return Optional.empty();
    }

    private static void dns(SandboxSpec.Dns dns, Validator.Errors e) {
        if (dns == null) {
            return;
        }
        List<String> ns = dns.nameservers();
        if (ns != null) {
            if (ns.size() > MAX_NAMESERVERS) {
                e.add("spec.dns.nameservers", ns.size() + " nameservers given; the resolver reads at most "
                        + MAX_NAMESERVERS);
            }
            for (int i = 0; i < ns.size(); i++) {
                e.check("spec.dns.nameservers[" + i + "]", ipLiteral(ns.get(i)));
            }
        }
        List<String> searches = dns.searches();
        if (searches != null) {
            if (searches.size() > MAX_SEARCHES) {
                e.add("spec.dns.searches", searches.size() + " search domains given; at most " + MAX_SEARCHES);
            }
            for (int i = 0; i < searches.size(); i++) {
                String s = searches.get(i);
                // a trailing dot marks a fully qualified domain, which resolv.conf accepts
                String bare = s != null && s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
                e.check("spec.dns.searches[" + i + "]", Names.dns1123Subdomain(bare));
            }
        }
        List<String> options = dns.options();
        if (options != null) {
            for (int i = 0; i < options.size(); i++) {
                String o = options.get(i);
                if (o == null || !OPTION.matcher(o).matches()) {
                    e.add("spec.dns.options[" + i + "]", "\"" + o + "\" is not a resolver option"
                            + " (name or name:number, e.g. ndots:5, edns0)");
                }
            }
        }
    }

    private static void hostAliases(List<SandboxSpec.HostAlias> aliases, Validator.Errors e) {
        if (aliases == null) {
            return;
        }
        for (int i = 0; i < aliases.size(); i++) {
            String path = "spec.hostAliases[" + i + "]";
            SandboxSpec.HostAlias a = aliases.get(i);
            if (a == null) {
                e.add(path, "must be a mapping with ip and hostnames");
                continue;
            }
            e.check(path + ".ip", ipLiteral(a.ip()));
            if (a.hostnames() == null || a.hostnames().isEmpty()) {
                e.add(path + ".hostnames", "required: at least one name for " + a.ip());
                continue;
            }
            for (int j = 0; j < a.hostnames().size(); j++) {
                e.check(path + ".hostnames[" + j + "]", Names.dns1123Subdomain(a.hostnames().get(j)));
            }
        }
    }

    /** Why {@code s} is not an IPv4 or IPv6 address literal (never a name: nothing is resolved). */
    static Optional<String> ipLiteral(String s) {
        if (s == null || s.isEmpty()) {
            return Optional.of("required: an IPv4 or IPv6 address");
        }
        if (IPV4.matcher(s).matches()) {
            return Optional.empty();
        }
        if (s.indexOf(':') >= 0 && IPV6_CHARS.matcher(s).matches()) {
            try {
                // a string with ':' is parsed as an IPv6 literal and never looked up
                InetAddress.getByName(s);
                return Optional.empty();
            } catch (UnknownHostException | IllegalArgumentException ex) {
                // falls through to the message below
            }
        }
        return Optional.of("\"" + s + "\" is not an IP address (e.g. 127.0.0.1 or ::1)");
    }
}
