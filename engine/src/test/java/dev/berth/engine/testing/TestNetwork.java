package dev.berth.engine.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A CNI network of a test's own, for the real plugins in /usr/lib/cni: a conf_dir holding one
 * conflist (bridge with host-local IPAM, portmap, firewall, loopback) on a bridge name and /24
 * subnet nobody else uses, host-local's reservations in the test's directory, and a clean-up that
 * deletes the bridge. Other tests on the machine run their own at the same time, hence the random
 * names. Not thread-safe: one per test.
 */
public final class TestNetwork {
    private final String bridge;
    private final String network;
    private final String subnet;
    private final String prefix;
    private final Path confDir;
    private final Path ipamDir;

    private TestNetwork(Path dir) throws IOException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        String tag = Integer.toHexString(r.nextInt(0x100000, 0xffffff));
        this.bridge = "bt" + tag;
        this.network = "berth-test-" + tag;
        // 10.200-249.x.0/24: away from podman's 10.88, docker's 172.17 and Berth's default
        this.prefix = "10." + r.nextInt(200, 250) + "." + r.nextInt(1, 255);
        this.subnet = prefix + ".0/24";
        this.confDir = Files.createDirectories(dir.resolve("net.d"));
        this.ipamDir = dir.resolve("ipam");
        Files.writeString(conflistFile(), conflist(true), StandardCharsets.UTF_8);
    }

    /** The one conflist file in {@link #confDir}. */
    public Path conflistFile() {
        return confDir.resolve("10-" + network + ".conflist");
    }

    /** A network under {@code dir}; {@code cleanup} deletes its bridge (its files go with the directory). */
    public static TestNetwork create(Path dir, HostCleanup cleanup) throws IOException {
        TestNetwork n = new TestNetwork(dir);
        cleanup.then(n::deleteBridge);
        return n;
    }

    /** The conflist text; without portmap and firewall when {@code full} is false. */
    public String conflist(boolean full) {
        return conflist(full, false);
    }

    /**
     * The conflist text; without portmap and firewall when {@code full} is false; with
     * {@code capabilities}, bridge declares {@code ips} (its host-local IPAM takes requested
     * addresses) and the bandwidth plugin (capability {@code bandwidth}) follows portmap.
     */
    public String conflist(boolean full, boolean capabilities) {
        String ipam = "{\"type\":\"host-local\",\"dataDir\":\"" + ipamDir + "\",\"ranges\":[[{\"subnet\":\"" + subnet
                + "\",\"gateway\":\"" + prefix + ".1\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}";
        List<String> plugins = new ArrayList<>();
        plugins.add("{\"type\":\"bridge\",\"bridge\":\"" + bridge + "\",\"isGateway\":true,\"ipMasq\":false,"
                + "\"hairpinMode\":true," + (capabilities ? "\"capabilities\":{\"ips\":true}," : "")
                + "\"ipam\":" + ipam + "}");
        if (full) {
            plugins.add("{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}");
        }
        if (capabilities) {
            plugins.add("{\"type\":\"bandwidth\",\"capabilities\":{\"bandwidth\":true}}");
        }
        if (full) {
            plugins.add("{\"type\":\"firewall\"}");
        }
        plugins.add("{\"type\":\"loopback\"}");
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"" + network + "\",\"plugins\":[" + String.join(",", plugins) + "]}\n";
    }

    public String bridge() {
        return bridge;
    }

    public String network() {
        return network;
    }

    /** The first three octets of the subnet, e.g. {@code 10.213.7}. */
    public String prefix() {
        return prefix;
    }

    public Path confDir() {
        return confDir;
    }

    /** host-local's reservations of this network (a file per reserved address). */
    public List<String> reservations() throws IOException {
        Path d = ipamDir.resolve(network);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
        }
    }

    /** The host-side veths attached to this network's bridge, sorted. */
    public List<String> bridgePorts() throws Exception {
        Process p = new ProcessBuilder("ip", "-o", "link", "show", "master", bridge).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out.lines().filter(l -> l.contains(": ")).map(l -> l.split(": ")[1].split("@")[0]).sorted().toList();
    }

    /** Whether a link named {@code name} exists on the host. */
    public static boolean linkExists(String name) throws Exception {
        return run("ip", "link", "show", "dev", name) == 0;
    }

    /** iptables-save lines (both tables portmap and firewall use) that mention {@code text}. */
    public static List<String> iptablesLinesWith(String text) throws Exception {
        List<String> out = new ArrayList<>();
        for (String table : List.of("nat", "filter")) {
            Process p = new ProcessBuilder("iptables-save", "-t", table).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            for (String line : s.split("\n")) {
                if (line.contains(text)) {
                    out.add(table + ": " + line);
                }
            }
        }
        return out;
    }

    private void deleteBridge() throws Exception {
        if (linkExists(bridge)) {
            run("ip", "link", "del", "dev", bridge);
        }
    }

    /** A TCP port nothing on the host listens on right now (for a hostPort). */
    public static int freeTcpPort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * The body of a GET of {@code url}, retried while the connection is refused: a server in a
     * container binds a moment after its task starts. Gives up after about 20 s with the last error.
     */
    public static String httpGet(String url) throws Exception {
        java.net.http.HttpClient c = java.net.http.HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(5)).build();
        IOException last = null;
        for (int i = 0; i < 200; i++) {
            try {
                return c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                        .timeout(java.time.Duration.ofSeconds(5)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
            } catch (IOException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw last;
    }

    /** Runs a command, its output into the test log; the exit code. */
    public static int run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getInputStream().transferTo(System.out);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", argv) + " hung");
        }
        return p.exitValue();
    }
}
