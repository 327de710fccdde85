package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.runtime.spec.ContainerSpec;
import dev.berth.engine.sandbox.HostPorts;
import dev.berth.engine.sandbox.PauseImages;
import dev.berth.engine.sandbox.PodSandboxes;
import dev.berth.engine.sandbox.SandboxFiles;
import dev.berth.engine.transfer.ImagePuller;
import dev.berth.engine.transfer.PullOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sandbox of {@code berth run -p}: like {@code podman run -p} outside a pod, the container gets
 * a pod sandbox of its own (netns, CNI network of conf_dir, pause container) named
 * {@code run_<id>} ('_' keeps it apart from Sandbox objects), with the published ports through
 * portmap, and joins it as a Container joins a Sandbox. Removed with the container. Stateless.
 */
final class RunSandboxes {
    private static final Pattern PUBLISH = Pattern.compile("(?:(\\d{1,3}(?:\\.\\d{1,3}){3}):)?(\\d+):(\\d+)(?:/(tcp|udp))?");

    private RunSandboxes() {
    }

    static String name(String id) {
        return "run_" + id;
    }

    /** {@code -p} values as portmap mappings; INVALID_ARGUMENT naming the bad value. */
    static List<HostPorts.Mapping> mappings(List<String> publish) {
        List<HostPorts.Mapping> out = new ArrayList<>();
        for (String p : publish) {
            Matcher m = PUBLISH.matcher(p);
            if (!m.matches()) {
                throw BerthException.invalid("-p '%s' must be [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp], e.g. 8080:80", p);
            }
            int host = Integer.parseInt(m.group(2));
            int ctr = Integer.parseInt(m.group(3));
            if (host < 1 || host > 65535 || ctr < 1 || ctr > 65535) {
                throw BerthException.invalid("-p '%s': ports must be 1-65535", p);
            }
            HostPorts.Mapping mapping = new HostPorts.Mapping(host, ctr, m.group(4) == null ? "tcp" : m.group(4), m.group(1));
            if (HostPorts.heldByProcess(mapping)) {
                throw BerthException.invalid("-p '%s': host port %s is in use by a process on the host (see ss -lntup);"
                        + " choose another", p, mapping);
            }
            out.add(mapping);
        }
        return out;
    }

    /** Builds the sandbox of container {@code id} and returns {@code spec} joined to it. */
    static ContainerSpec join(Engine engine, String ns, String id, ContainerSpec spec, List<String> publish,
            boolean otherNetwork) {
        if (otherNetwork) {
            throw BerthException.invalid("-p publishes through a CNI sandbox; it cannot be combined with --net or --net-host");
        }
        List<Map<String, Object>> ports = new ArrayList<>();
        for (HostPorts.Mapping m : mappings(publish)) {
            ports.add(m.toCni());
        }
        PauseImages.Present image = engine.pauseImages().ensure(Platforms.defaultMatcher(), ref -> {
            try (var resolver = Engine.resolver(engine.config(), false, null)) {
                return new ImagePuller(engine.content(), engine.images(), resolver, engine.leases()).pull(ref,
                        PullOptions.defaults().withPlatforms(Platforms.defaultMatcher()).withMaxConcurrentDownloads(
                                engine.config().get(RemoteSettings.MAX_CONCURRENT_DOWNLOADS).intValue()));
            }
        });
        String name = name(id);
        Map<String, String> args = new LinkedHashMap<>();
        args.put("IgnoreUnknown", "1");
        args.put("K8S_POD_NAMESPACE", ns);
        args.put("K8S_POD_NAME", name);
        String hostname = spec.hostname() != null ? spec.hostname() : id.length() <= 63 ? id : id.substring(0, 12);
        PodSandboxes sandboxes = engine.sandboxes();
        PodSandboxes.Running sb = sandboxes.create(new PodSandboxes.Request(ns, name, PodSandboxes.Network.CNI, hostname,
                args, Map.of("portMappings", ports), List.of(), SandboxFiles.Dns.NONE, "berth run -p " + publish), image);
        return PodSandboxes.join(spec.toBuilder().hostname(null), false, sb.pid(), sb.netns().toString(), false,
                sandboxes.files(ns, name)).build();
    }

    /** Removes the sandbox of container {@code id}, if it has one. Idempotent. */
    static void remove(Engine engine, String ns, String id) {
        if (engine.sandboxes().find(ns, name(id)).isPresent() || !engine.cni().cache().of(PodSandboxes.pauseId(name(id)))
                .isEmpty()) {
            engine.sandboxes().remove(ns, name(id));
        }
    }
}
