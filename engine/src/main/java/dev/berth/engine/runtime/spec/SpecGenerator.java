package dev.berth.engine.runtime.spec;

import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.ImageConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a container's OCI runtime config from its image's execution defaults and its
 * {@link ContainerSpec}, the way containerd's {@code WithImageConfig} plus the default Unix spec do.
 * Stateless and thread-safe.
 */
public final class SpecGenerator {
    /** containerd's annotation carrying the image's StopSignal, read by the runtime's stop. */
    public static final String STOP_SIGNAL_ANNOTATION = "io.containerd.image.config.stop-signal";

    private SpecGenerator() {
    }

    /**
     * The runtime config for container {@code id}.
     *
     * @param image       the image's config (null for a container without an image, e.g. a bare rootfs)
     * @param rootfs      the root filesystem on the host, used as {@code root.path} and to resolve users
     * @param cgroupsPath the {@code linux.cgroupsPath} (see {@code CgroupPaths})
     */
    public static RuntimeSpec generate(String id, ContainerSpec spec, ImageConfig image, Path rootfs, String cgroupsPath) {
        ImageConfig.Container ic = image == null || image.config() == null
                ? new ImageConfig.Container(null, null, null, null, null, null, null, null, null)
                : image.config();

        List<String> args = args(spec, ic);
        List<String> env = mergeEnv(ic.env(), spec.env());
        String cwd = first(spec.workingDir(), ic.workingDir(), "/");
        if (!cwd.startsWith("/")) {
            throw BerthException.invalid("working directory '%s' of container %s must be absolute", cwd, id);
        }
        RuntimeSpec.User user = UserResolver.resolve(rootfs, first(spec.user(), ic.user(), ""));
        if (env.stream().noneMatch(e -> e.startsWith("HOME="))) {
            String home = UserResolver.home(rootfs, user.uid());
            env.add("HOME=" + (home == null ? "/" : home));
        }

        var caps = new RuntimeSpec.Capabilities(SpecDefaults.CAPABILITIES, SpecDefaults.CAPABILITIES,
                SpecDefaults.CAPABILITIES);
        var process = new RuntimeSpec.Process(false, user, args, List.copyOf(env), cwd, caps, SpecDefaults.RLIMITS, true);

        String hostname = first(spec.hostname(), defaultHostname(id), null);
        var root = new RuntimeSpec.Root(rootfs.toAbsolutePath().toString(), spec.readOnlyRootfs() ? true : null);
        var linux = new RuntimeSpec.Linux(resources(spec.resources()), cgroupsPath, namespaces(spec),
                SpecDefaults.MASKED_PATHS, SpecDefaults.READONLY_PATHS);
        Map<String, String> annotations = new LinkedHashMap<>(spec.annotations());
        if (ic.stopSignal() != null && !ic.stopSignal().isBlank()) {
            annotations.putIfAbsent(STOP_SIGNAL_ANNOTATION, ic.stopSignal());
        }
        // a joined UTS namespace (a sandbox's) already has its name: setting one would rename the
        // sandbox and every container in it
        boolean ownUts = !spec.hostNamespaces().contains("uts") && !spec.namespacePaths().containsKey("uts");
        return new RuntimeSpec(RuntimeSpec.VERSION, process, root, ownUts ? hostname : null,
                mounts(spec), linux, annotations.isEmpty() ? null : annotations);
    }

    /** Entrypoint + Cmd with the overrides applied; INVALID_ARGUMENT when nothing is left to run. */
    static List<String> args(ContainerSpec spec, ImageConfig.Container ic) {
        List<String> entrypoint;
        List<String> cmd;
        if (!spec.command().isEmpty()) {
            entrypoint = spec.command();
            cmd = spec.args();
        } else {
            entrypoint = ic.entrypoint() == null ? List.of() : ic.entrypoint();
            cmd = !spec.args().isEmpty() ? spec.args() : ic.cmd() == null ? List.of() : ic.cmd();
        }
        List<String> all = new ArrayList<>(entrypoint);
        all.addAll(cmd);
        if (all.isEmpty()) {
            throw BerthException.invalid("no command to run: the image has no Entrypoint or Cmd and the "
                    + "container spec sets neither command nor args");
        }
        return List.copyOf(all);
    }

    /** Image env overlaid by the spec's: a repeated key is replaced in place (containerd's WithEnv); PATH added when neither sets it. */
    public static List<String> mergeEnv(List<String> imageEnv, List<String> specEnv) {
        Map<String, String> merged = new LinkedHashMap<>();
        for (List<String> src : java.util.Arrays.asList(imageEnv, specEnv)) {
            if (src == null) {
                continue;
            }
            for (String e : src) {
                int eq = e.indexOf('=');
                merged.put(eq < 0 ? e : e.substring(0, eq), e);
            }
        }
        merged.putIfAbsent("PATH", "PATH=" + SpecDefaults.DEFAULT_PATH);
        return new ArrayList<>(merged.values());
    }

    private static List<RuntimeSpec.Mount> mounts(ContainerSpec spec) {
        Map<String, RuntimeSpec.Mount> byDest = new LinkedHashMap<>();
        for (RuntimeSpec.Mount m : SpecDefaults.MOUNTS) {
            byDest.put(m.destination(), m);
        }
        if (spec.hostNamespaces().contains("network")) {
            // sysfs of another network namespace cannot be mounted; bind the host's read-only instead
            byDest.put("/sys", RuntimeSpec.Mount.bind("/sys", "/sys", true));
        }
        for (RuntimeSpec.Mount m : spec.mounts()) {
            byDest.remove(m.destination());
            byDest.put(m.destination(), m);
        }
        return List.copyOf(byDest.values());
    }

    private static List<RuntimeSpec.Namespace> namespaces(ContainerSpec spec) {
        List<RuntimeSpec.Namespace> out = new ArrayList<>();
        for (String type : SpecDefaults.NAMESPACES) {
            if (!spec.hostNamespaces().contains(type)) {
                out.add(new RuntimeSpec.Namespace(type, spec.namespacePaths().get(type)));
            }
        }
        String cg = spec.namespacePaths().get("cgroup");
        if (cg != null) {
            out.add(new RuntimeSpec.Namespace("cgroup", cg));
        }
        return out;
    }

    /** The OCI resources block for {@code r}; swap equals the memory limit so a limited container cannot swap. */
    public static RuntimeSpec.LinuxResources resources(Resources r) {
        RuntimeSpec.Memory mem = r.memoryLimit() == null && r.memoryReservation() == null ? null
                : new RuntimeSpec.Memory(r.memoryLimit(), r.memoryReservation(), r.memoryLimit());
        RuntimeSpec.Cpu cpu = r.cpuShares() == null && r.cpuQuota() == null && r.cpuPeriod() == null
                && r.cpusetCpus() == null ? null
                : new RuntimeSpec.Cpu(r.cpuShares(), r.cpuQuota(), r.cpuPeriod(), r.cpusetCpus());
        RuntimeSpec.Pids pids = r.pidsLimit() == null ? null : new RuntimeSpec.Pids(r.pidsLimit());
        return new RuntimeSpec.LinuxResources(List.of(new RuntimeSpec.DeviceRule(false, "rwm")), mem, cpu, pids);
    }

    /** The container id when it is a valid hostname label (at most 63 characters), else its first 12. */
    static String defaultHostname(String id) {
        String h = id.length() > 63 ? id.substring(0, 12) : id;
        return h.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?") ? h : null;
    }

    private static String first(String a, String b, String c) {
        if (a != null && !a.isEmpty()) {
            return a;
        }
        if (b != null && !b.isEmpty()) {
            return b;
        }
        return c;
    }
}
