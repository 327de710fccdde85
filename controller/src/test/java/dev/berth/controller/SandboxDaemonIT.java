package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.api.ObjectsApi;
import dev.berth.engine.Engine;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.PauseImage;
import dev.berth.engine.testing.RootOnly;
import dev.berth.engine.testing.TestNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Pod sandboxes with the daemon as a process of its own, on a CNI network of the test's own.
 *
 * <p>Deleting a Sandbox whose Container still runs (its manifest file removed): the Container's task
 * is stopped first (the Sandbox waits, saying for whom), then the sandbox goes with everything it
 * made; the Container object stays, waiting for its sandbox, and runs again once the file is back.
 *
 * <p>SIGKILL of the daemon in the middle of a CNI ADD and in the middle of a CNI DEL, with Debian's
 * real plugins: a gate plugin of the test's own sits in the chain between bridge and portmap and
 * blocks while a gate file for its command exists, so the kill comes when bridge has reserved an
 * address and made the veth (ADD) or portmap has already removed its rules but bridge has not yet
 * released anything (DEL). After the restart the daemon finishes the job from the CNI result cache:
 * one sandbox with one address, one veth and one pause container (ADD), or nothing at all: no
 * host-local reservation, veth, netns mount, portmap rule or pause record (DEL).
 */
@RootOnly("needs root for runc, CNI plugins and network namespaces")
class SandboxDaemonIT {
    private static final String PAUSE = "localhost/berth/pause:killcni";
    private static final String GATE = "berth-test-gate";
    @TempDir
    Path tmp;
    DaemonProcess daemon;
    Path manifests;
    Path gates;
    HostCleanup hostCleanup;
    TestNetwork net;
    int hostPort;
    final String parent = "/berth-killcni-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void setUp() throws Exception {
        hostCleanup = HostCleanup.under(null).cgroup(parent);
        net = TestNetwork.create(tmp.resolve("net"), hostCleanup);
        hostPort = TestNetwork.freeTcpPort();
        gates = Files.createDirectories(tmp.resolve("gates"));
        Path bin = Files.createDirectories(tmp.resolve("cni-bin"));
        // a pass-through plugin: ADD answers the previous result; while gates/<COMMAND> exists it
        // records its pid and sleeps until the test kills it
        Path gate = bin.resolve(GATE);
        Files.writeString(gate, """
                #!/bin/sh
                conf=$(cat)
                if [ "$CNI_COMMAND" = VERSION ]; then
                  echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'; exit 0
                fi
                if [ -e "%1$s/$CNI_COMMAND" ]; then
                  echo $$ > "%1$s/$CNI_COMMAND.pid"
                  exec sleep 100000
                fi
                if [ "$CNI_COMMAND" = ADD ]; then
                  printf '%%s' "$conf" | jq -c .prevResult
                fi
                """.formatted(gates));
        Files.setPosixFilePermissions(gate, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var files = Files.list(net.confDir())) {
            Path conflist = files.findFirst().orElseThrow();
            String text = net.conflist(true).replace("{\"type\":\"portmap\"", "{\"type\":\"" + GATE + "\"},{\"type\":\"portmap\"");
            Files.writeString(conflist, text);
        }
        daemon = DaemonProcess.create(tmp, parent, """
                [plugins."io.containerd.cri.v1.images".pinned_images]
                sandbox = "%s"
                [plugins."io.containerd.cri.v1.runtime".cni]
                conf_dir = "%s"
                bin_dir = "%s"
                """.formatted(PAUSE, net.confDir(), bin));
        manifests = daemon.manifests();
        daemon.importBusybox();
        try (Engine e = daemon.openEngine()) {
            PauseImage.importAs(e, PAUSE, tmp);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (daemon == null) {
                return;
            }
            daemon.kill();
            releaseGates();
            try (Engine e = daemon.openEngine()) {
                // sandboxes first: CNI DEL releases addresses and port rules, then the netns goes
                for (var info : e.containers().list(null)) {
                    if (info.id().endsWith("_pause")) {
                        e.sandboxes().remove(info.namespace(), info.id().substring(0, info.id().length() - "_pause".length()));
                    }
                }
                e.sandboxes().remove("default", "pod");
                for (TaskStatus t : e.runtime().list(null)) {
                    e.runtime().delete(t.namespace(), t.id(), true);
                }
            }
        } finally {
            try {
                MountTable.cleanUnder(tmp);
            } finally {
                hostCleanup.runcRoot("runc", tmp.resolve("state/runc"), true).close();
            }
        }
    }

    /** Opens every gate and kills the plugins blocked in one (orphans of the killed daemon). */
    private void releaseGates() throws Exception {
        for (String command : List.of("ADD", "DEL", "CHECK")) {
            Files.deleteIfExists(gates.resolve(command));
            Path pid = gates.resolve(command + ".pid");
            if (Files.exists(pid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroyForcibly);
                Files.delete(pid);
            }
        }
    }

    /** Kills the daemon while a plugin waits in the gate for {@code command}, then frees the plugin. */
    private void killDaemonIn(String command) throws Exception {
        Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(gates.resolve(command + ".pid")));
        daemon.kill();
        releaseGates();
    }

    private JsonNode get(String plural, String name) {
        return daemon.get(ObjectsApi.BASE + "/namespaces/default/" + plural + "/" + name);
    }

    private List<String> bridgePorts() throws Exception {
        return net.bridgePorts();
    }

    private List<String> netnsMounts() {
        return MountTable.under(tmp.resolve("state/netns")).stream().map(m -> m.mountPoint().toString()).toList();
    }

    private static final String POD = """
            apiVersion: berth.dev/v1alpha1
            kind: Sandbox
            metadata: {name: pod}
            spec:
              ports: [{containerPort: 8080, hostPort: %d, protocol: TCP}]
            """;
    private static final String WEB = """
            apiVersion: berth.dev/v1alpha1
            kind: Image
            metadata: {name: busybox}
            spec: {ref: "localhost/berth/busybox:latest", pullPolicy: Never}
            ---
            apiVersion: berth.dev/v1alpha1
            kind: Container
            metadata: {name: web}
            spec:
              image: busybox
              sandbox: pod
              command: [sh, -c]
              args: ["mkdir -p /www && echo crash-safe > /www/index.html && exec httpd -f -p 8080 -h /www"]
            """;

    private boolean webRunsInReadyPod() {
        JsonNode sb = get("sandboxes", "pod");
        JsonNode web = get("containers", "web");
        return sb != null && "Ready".equals(sb.path("status").path("phase").asText())
                && web != null && "Running".equals(web.path("status").path("phase").asText());
    }

    /** Waits up to 2 minutes for {@code condition}; on timeout the failure shows the objects and events. */
    private void awaitOrDump(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(120)).until(condition);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("sandbox " + get("sandboxes", "pod") + "\ncontainer " + get("containers", "web")
                    + "\nevents " + events(), e);
        }
    }

    private List<JsonNode> events() {
        List<JsonNode> out = new java.util.ArrayList<>();
        daemon.get("/events").path("items").forEach(out::add);
        return out;
    }

    private static int indexOf(List<JsonNode> events, String object, String reason, String says) {
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = events.get(i);
            if (e.path("involvedObject").asText().contains(object) && reason.equals(e.path("reason").asText())
                    && e.path("message").asText().contains(says)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void deletingASandboxStopsItsContainerFirstAndItComesBackWithTheSandbox() throws Exception {
        Files.writeString(manifests.resolve("pod.yaml"), POD.formatted(hostPort));
        Files.writeString(manifests.resolve("web.yaml"), WEB);
        daemon.start();
        awaitOrDump(this::webRunsInReadyPod);
        assertEquals("crash-safe\n", TestNetwork.httpGet("http://127.0.0.1:" + hostPort + "/"));

        Files.delete(manifests.resolve("pod.yaml"));
        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> get("sandboxes", "pod") == null
                && get("containers", "web").path("status").path("conditions").toString().contains("does not exist"));
        JsonNode web = get("containers", "web");
        assertTrue(web.path("status").path("pid").isMissingNode() || web.path("status").path("pid").isNull(),
                "no task: " + web.path("status"));
        List<JsonNode> events = events();
        int waited = indexOf(events, "pod", "StoppingContainers", "web");
        int stopped = indexOf(events, "web", "Killed", "is being deleted");
        int deleted = indexOf(events, "pod", "Deleted", "");
        assertTrue(waited >= 0 && stopped >= 0 && deleted > stopped, "the sandbox waited for web, web stopped, then the"
                + " sandbox went: " + events);
        assertEquals(List.of(), net.reservations(), "no address reserved");
        assertEquals(List.of(), bridgePorts(), "no veth on the bridge");
        assertEquals(List.of(), netnsMounts(), "no netns mount");
        assertEquals(List.of(), TestNetwork.iptablesLinesWith("pod_pause"), "no port rule or chain");

        Files.writeString(manifests.resolve("pod.yaml"), POD.formatted(hostPort));
        awaitOrDump(this::webRunsInReadyPod);
        assertEquals("crash-safe\n", TestNetwork.httpGet("http://127.0.0.1:" + hostPort + "/"));
    }

    @Test
    void killedDuringAddAndDuringDelTheDaemonLeavesOneSandboxThenNothing() throws Exception {
        Files.writeString(manifests.resolve("pod.yaml"), POD.formatted(hostPort) + "---\n" + WEB);

        // ADD cut after bridge reserved an address and made the veth
        Files.createFile(gates.resolve("ADD"));
        daemon.start();
        killDaemonIn("ADD");
        assertEquals(1, net.reservations().size(), "bridge had reserved an address before the kill");
        assertEquals(1, bridgePorts().size(), "bridge had made the veth before the kill");

        daemon.start();
        awaitOrDump(this::webRunsInReadyPod);
        assertEquals("crash-safe\n", TestNetwork.httpGet("http://127.0.0.1:" + hostPort + "/"));
        String ip = get("sandboxes", "pod").path("status").path("ip").asText();
        assertEquals(List.of(ip), net.reservations(), "the cut ADD's address was released, one is held");
        assertEquals(1, bridgePorts().size(), "one veth: " + bridgePorts());
        assertEquals(1, netnsMounts().size(), "one netns: " + netnsMounts());
        daemon.kill();
        try (Engine e = daemon.openEngine()) {
            assertEquals(List.of("pod_pause", "web"), e.containers().list("default").stream().map(i -> i.id()).sorted()
                    .toList(), "one pause container, no duplicate sandbox");
        }
        daemon.start();

        // DEL cut after portmap removed its rules, before bridge released the address
        Files.createFile(gates.resolve("DEL"));
        Files.delete(manifests.resolve("pod.yaml"));
        killDaemonIn("DEL");
        daemon.start();
        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> get("sandboxes", "pod") == null
                && get("containers", "web") == null);
        daemon.kill();
        assertEquals(List.of(), net.reservations(), "no address reserved");
        assertEquals(List.of(), bridgePorts(), "no veth on the bridge");
        assertEquals(List.of(), netnsMounts(), "no netns mount");
        assertEquals(List.of(), TestNetwork.iptablesLinesWith("pod_pause"), "no port rule or chain");
        assertFalse(Files.exists(tmp.resolve("state/netns/default_pod")), "no netns file");
        try (Engine e = daemon.openEngine()) {
            assertEquals(List.of(), e.containers().list(null).stream().map(i -> i.id()).toList(), "no container record");
            assertEquals(List.of(), e.cni().cache().of("pod_pause"), "no cached attachment");
            assertTrue(e.runtime().list(null).isEmpty(), "no task");
        }
    }
}
