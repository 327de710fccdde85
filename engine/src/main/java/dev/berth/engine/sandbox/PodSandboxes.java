package dev.berth.engine.sandbox;

import dev.berth.engine.cni.Attachment;
import dev.berth.engine.cni.Cni;
import dev.berth.engine.cni.CniResult;
import dev.berth.engine.cni.NetworkConfigList;
import dev.berth.engine.cni.ResultCache;
import dev.berth.engine.config.Config;
import dev.berth.engine.containers.ContainerConfig;
import dev.berth.engine.containers.Containers;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.netns.NetNamespaces;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.runtime.spec.ContainerSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Pod sandboxes on the node, made as containerd's CRI plugin makes them: a network namespace
 * pinned under {@code <state>/netns}; CNI ADD of the loopback network and then the conf_dir's
 * network into it; the sandbox's hosts, hostname and resolv.conf files; and the pause container
 * (through the one container path, {@link Containers}) holding the namespace, with IPC, UTS and
 * PID namespaces of its own that the sandbox's containers join.
 *
 * <p>State lives where it survives a daemon restart: the pause container's record (with the
 * caller's {@code applied} text as an extension), the netns mount, and the CNI result cache, which
 * is written before each ADD. {@link #remove} tears down from those alone (DEL of every cached
 * attachment of the pause id, whatever the conf_dir says now), so a crash during a build or a
 * removal leaves nothing that the next {@link #remove} does not release.
 *
 * <p>Thread-safe across sandboxes; one sandbox must not be changed from two threads at once (the
 * controller's dispatcher never does).
 */
public final class PodSandboxes {
    /** The extension of the pause record that keeps what the owner applied. */
    public static final String APPLIED = "dev.berth.sandbox.applied";
    private static final String NETWORK = "dev.berth.sandbox.network";
    /** The label marking a pause container (containerd's CRI uses {@code io.cri-containerd.kind}). */
    public static final String KIND_LABEL = "io.cri-containerd.kind";
    /** The loopback network every namespaced sandbox gets first, as containerd attaches it. */
    static final String LOOPBACK = "{\"cniVersion\":\"1.0.0\",\"name\":\"berth-loopback\",\"plugins\":[{\"type\":\"loopback\"}]}";
    private static final Duration PAUSE_GRACE = Duration.ofSeconds(2);
    /** Capabilities that must reach a plugin, with the fix when none declares them. */
    private static final Map<String, String> STRICT_CAPABILITIES = Map.of(
            "ips", "declare \"capabilities\": {\"ips\": true} on the plugin whose IPAM is host-local or static",
            "bandwidth", "add {\"type\": \"bandwidth\", \"capabilities\": {\"bandwidth\": true}} to the list's"
                    + " plugins, after the one that makes the interface");

    /** How a sandbox is networked. */
    public enum Network {
        /** A new namespace, configured by the conf_dir's CNI network (and loopback). */
        CNI,
        /** The host's network namespace (and UTS namespace). */
        HOST,
        /** A new namespace with loopback only. */
        NONE
    }

    /**
     * What to build.
     *
     * @param cniArgs {@code CNI_ARGS} (kubelet's IgnoreUnknown and K8S_POD_*; the infra container id is set here)
     * @param capabilityArgs runtime-config capabilities (portMappings, dns, ...)
     * @param applied opaque text the owner keeps with the sandbox (its applied spec)
     */
    public record Request(String namespace, String name, Network network, String hostname, Map<String, String> cniArgs,
            Map<String, Object> capabilityArgs, List<SandboxFiles.HostEntry> hostAliases, SandboxFiles.Dns dns,
            String applied) {
    }

    /**
     * A sandbox as it is.
     *
     * @param id the pause container's id
     * @param netns the pinned namespace, null with host network
     * @param result the CNI result of the main network, null without one
     */
    public record Running(String id, int pid, Path netns, CniResult result, String pauseImage, String pauseDigest,
            String applied) {
        /** The sandbox's addresses (without prefix), IPv4 first as CNI returned them. */
        public List<String> ips() {
            if (result == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            result.ips().stream().filter(CniResult.Ip::ipv4).forEach(i -> out.add(i.ip()));
            result.ips().stream().filter(i -> !i.ipv4()).forEach(i -> out.add(i.ip()));
            return out;
        }
    }

    private final Containers containers;
    private final Cni cni;
    private final NetNamespaces netns;
    private final Supplier<Config> config;
    private final Path state;
    private final EventBus events;
    private final java.time.Clock clock;
    private final CheckSchedule checks;

    public PodSandboxes(Containers containers, Cni cni, NetNamespaces netns, Supplier<Config> config, Path state,
            EventBus events, java.time.Clock clock, CheckSchedule checks) {
        this.clock = clock;
        this.checks = checks;
        this.containers = containers;
        this.cni = cni;
        this.netns = netns;
        this.config = config;
        this.state = state;
        this.events = events;
    }

    /** The pause container id of sandbox {@code name}: '_' cannot occur in object names, so no Container has it. */
    public static String pauseId(String name) {
        return name + "_pause";
    }

    private String netnsName(String namespace, String name) {
        return namespace + "_" + name;
    }

    /**
     * Builds the sandbox: netns, CNI ADD (loopback, then the network), files, pause container
     * started from {@code image}. Any leftovers of an earlier build are removed first. On failure
     * everything is removed again and the error says which step failed.
     */
    public Running create(Request r, PauseImages.Present image) {
        String ns = r.namespace();
        String id = pauseId(r.name());
        remove(ns, r.name());
        try {
            Path path = null;
            CniResult result = null;
            if (r.network() != Network.HOST) {
                path = netns.create(netnsName(ns, r.name()));
                Map<String, String> args = new LinkedHashMap<>(r.cniArgs());
                args.put("K8S_POD_INFRA_CONTAINER_ID", id);
                cni.add(NetworkConfigList.parse(LOOPBACK.getBytes(StandardCharsets.UTF_8), null),
                        new Attachment(id, path, "lo", args, Map.of()));
                if (r.network() == Network.CNI) {
                    NetworkConfigList list = NetworkConfigList.load(Path.of(config.get().get(SandboxSettings.CNI_CONF_DIR)));
                    requireDeclared(list, r.capabilityArgs());
                    result = cni.add(list, new Attachment(id, path, "eth0", args, r.capabilityArgs()));
                }
            }
            List<String> ips = new Running(id, 0, path, result, null, null, null).ips();
            SandboxFiles.write(state, ns, r.name(), r.hostname(), ips, r.hostAliases(), r.dns());
            ContainerSpec.Builder spec = ContainerSpec.builder();
            if (r.network() == Network.HOST) {
                spec.hostNamespace("network").hostNamespace("uts");
            } else {
                spec.joinNamespace("network", path.toString()).hostname(r.hostname());
            }
            ContainerConfig cc = ContainerConfig.builder().image(image.name()).spec(spec.build())
                    .label(KIND_LABEL, "sandbox").extension(APPLIED, r.applied() == null ? "" : r.applied())
                    .extension("dev.berth.sandbox.image", image.name() + "@" + image.digest())
                    .extension(NETWORK, r.network().name()).build();
            // containerd's sandbox controller order: /sandboxes/create, the pause container's own
            // /containers/create, /tasks/create, /tasks/start, then /sandboxes/start. Announced once
            // the network is up, so a build that keeps failing there (retried every 10 s) is not
            // announced again and again; from here on a failure ends in /sandboxes/exit (remove)
            events.publishIn(ns, EngineEvent.SANDBOX_CREATE, Map.of("sandbox_id", id), Map.of());
            containers.create(ns, id, cc);
            TaskStatus ts = containers.start(ns, id);
            events.publishIn(ns, EngineEvent.SANDBOX_START, Map.of("sandbox_id", id), Map.of());
            // just made by ADD: the first full CHECK is one interval away
            checks.checked(ns + "/" + id);
            return new Running(id, (int) ts.pid(), path, result, image.name(), image.digest(), r.applied());
        } catch (RuntimeException e) {
            try {
                remove(ns, r.name());
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    /**
     * Refuses capability arguments that no plugin of {@code list} declares, for the capabilities
     * whose silent loss (libcni drops what no plugin declares) would leave a sandbox wrong but
     * running: requested addresses ({@code ips}) and traffic limits ({@code bandwidth}).
     */
    static void requireDeclared(NetworkConfigList list, Map<String, Object> capabilityArgs) {
        for (String cap : STRICT_CAPABILITIES.keySet()) {
            if (capabilityArgs.containsKey(cap) && list.plugins().stream()
                    .noneMatch(p -> p.path("capabilities").path(cap).asBoolean(false))) {
                throw BerthException.invalid("the sandbox asks for CNI capability \"%s\" but no plugin of"
                        + " network %s (%s) declares it, so no plugin would receive it; %s", cap, list.name(),
                        list.source() == null ? "cached configuration" : list.source(), STRICT_CAPABILITIES.get(cap));
            }
        }
    }

    /**
     * Makes {@code b} a member of a sandbox: its network (the host's with {@code hostNetwork}, else
     * {@code netns}, else the pause's), the pause process's IPC and UTS namespaces (UTS not with
     * host network), its PID namespace with {@code sharePid}, and the sandbox's /etc/hosts,
     * /etc/hostname and /etc/resolv.conf read-only over the image's (those present: an older
     * sandbox may lack them). The one place that says how a container joins a sandbox.
     */
    public static ContainerSpec.Builder join(ContainerSpec.Builder b, boolean hostNetwork, Integer pid, String netns,
            boolean sharePid, SandboxFiles.Paths files) {
        if (hostNetwork) {
            b.hostNamespace("network");
        } else if (netns != null) {
            b.joinNamespace("network", netns);
        } else if (pid != null) {
            b.joinNamespace("network", "/proc/" + pid + "/ns/net");
        }
        if (pid != null) {
            b.joinNamespace("ipc", "/proc/" + pid + "/ns/ipc");
            if (!hostNetwork) {
                b.joinNamespace("uts", "/proc/" + pid + "/ns/uts");
            }
            if (sharePid) {
                b.joinNamespace("pid", "/proc/" + pid + "/ns/pid");
            }
        }
        for (var m : files.mounts().entrySet()) {
            if (java.nio.file.Files.isRegularFile(m.getValue())) {
                b.mount(dev.berth.engine.runtime.spec.RuntimeSpec.Mount.bind(m.getValue().toString(), m.getKey(), true));
            }
        }
        return b;
    }

    /** The files of sandbox {@code namespace/name}. */
    public SandboxFiles.Paths files(String namespace, String name) {
        return SandboxFiles.paths(state, namespace, name);
    }

    /** The sandbox as it is now, when its pause container exists. */
    public Optional<Running> find(String namespace, String name) {
        String id = pauseId(name);
        return containers.find(namespace, id).map(info -> {
            int pid = containers.task(namespace, id).filter(t -> t.state().alive()).map(t -> (int) t.pid()).orElse(0);
            Path path = netns.path(netnsName(namespace, name));
            CniResult result = cni.cache().of(id).stream().filter(e -> e.attachment().ifName().equals("eth0"))
                    .flatMap(e -> e.result().stream()).findFirst().orElse(null);
            String img = info.extensions().getOrDefault("dev.berth.sandbox.image", "");
            int at = img.lastIndexOf('@');
            boolean host = Network.HOST.name().equals(info.extensions().get(NETWORK));
            return new Running(id, pid, host ? null : path, result, at < 0 ? img : img.substring(0, at),
                    at < 0 ? "" : img.substring(at + 1), info.extensions().get(APPLIED));
        });
    }

    /**
     * Why {@code running} no longer works, or empty: the pause process is gone, the namespace is no
     * longer pinned, or an attachment drifted (a deleted veth, a removed address, flushed port
     * rules). Attachments get the plugins' CNI CHECK when the last one of this sandbox is
     * {@link SandboxSettings#CNI_CHECK_INTERVAL} old (and at the first look after a daemon start);
     * the looks between use {@link Cni#look}, Berth's own probe, which starts no process for the
     * plugins it knows and shares one iptables dump among all sandboxes.
     */
    public Optional<String> drift(String namespace, String name, Network network, Running running) {
        if (running.pid() == 0) {
            return Optional.of("the pause process of the sandbox is not running");
        }
        if (network == Network.HOST) {
            return Optional.empty();
        }
        if (!NetNamespaces.isPinned(running.netns())) {
            return Optional.of("the network namespace " + running.netns() + " is no longer mounted");
        }
        String key = namespace + "/" + running.id();
        boolean full = checks.due(key, config.get().get(SandboxSettings.CNI_CHECK_INTERVAL));
        for (ResultCache.Entry e : cni.cache().of(running.id())) {
            if (e.result().isEmpty()) {
                return Optional.of("the CNI ADD of network " + e.list().name() + " never finished");
            }
            try {
                if (full) {
                    cni.check(e.list(), e.attachment(), e.result().get());
                } else {
                    cni.look(e.list(), e.attachment(), e.result().get(), running.pid());
                }
            } catch (BerthException ex) {
                if (!full && !dev.berth.engine.sys.Processes.alive(running.pid())) {
                    // the probe reads the namespace through the pause process: it died since find() looked
                    return Optional.of("the pause process of the sandbox is not running");
                }
                return Optional.of(ex.getMessage());
            }
        }
        if (network == Network.CNI && running.result() == null) {
            return Optional.of("the sandbox has no CNI result for its network");
        }
        if (full) {
            checks.checked(key);
        }
        return Optional.empty();
    }

    /**
     * Removes the sandbox in order: the pause container (task, rootfs, record), CNI DEL of every
     * cached attachment of it (its network, then loopback), the namespace, the files. Idempotent;
     * every step runs even when one before failed, and the first failure is thrown.
     */
    public void remove(String namespace, String name) {
        String id = pauseId(name);
        checks.forget(namespace + "/" + id);
        List<RuntimeException> errors = new ArrayList<>();
        step(errors, () -> endPause(namespace, id));
        List<ResultCache.Entry> cached = new ArrayList<>(cni.cache().of(id));
        // the network before loopback: the reverse of the order they were added in
        cached.sort((a, b) -> Boolean.compare(a.attachment().ifName().equals("lo"), b.attachment().ifName().equals("lo")));
        for (ResultCache.Entry e : cached) {
            step(errors, () -> cni.del(e));
        }
        step(errors, () -> netns.remove(netnsName(namespace, name)));
        step(errors, () -> SandboxFiles.remove(state, namespace, name));
        if (!errors.isEmpty()) {
            RuntimeException first = errors.get(0);
            errors.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }

    /**
     * Stops and removes the pause container; when there was one, announces {@code /sandboxes/exit}
     * with how its task ended (0 and now when it never ran or its exit was not recorded).
     */
    private void endPause(String namespace, String id) {
        if (containers.find(namespace, id).isEmpty()) {
            containers.teardown(namespace, id, PAUSE_GRACE); // leftovers without a record
            return;
        }
        TaskStatus t = containers.task(namespace, id).orElse(null);
        if (t != null && t.state().alive()) {
            t = containers.stop(namespace, id, PAUSE_GRACE);
        }
        containers.teardown(namespace, id, PAUSE_GRACE);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("sandbox_id", id);
        f.put("exit_status", Integer.toString(t == null || t.exitCode() == null ? 0 : t.exitCode()));
        f.put("exited_at", (t == null || t.exitedAt() == null ? clock.instant() : t.exitedAt()).toString());
        events.publishIn(namespace, EngineEvent.SANDBOX_EXIT, f, Map.of());
    }

    private static void step(List<RuntimeException> errors, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            errors.add(e);
        }
    }
}
