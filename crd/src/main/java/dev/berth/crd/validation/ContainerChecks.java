package dev.berth.crd.validation;

import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.quantity.QuantityException;
import dev.berth.crd.quantity.Quantities;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Spec rules for Container. Stateless. */
final class ContainerChecks {
    private static final Pattern USER = Pattern.compile("([0-9]+|[a-z_][a-z0-9_.-]*\\$?)(:([0-9]+|[a-z_][a-z0-9_.-]*))?");
    /** Below this runc cannot even start a process; Kubernetes' own floor is similar. */
    private static final long MIN_MEMORY = 6L << 20;

    private ContainerChecks() {
    }

    static void container(ContainerSpec spec, Validator.Errors e) {
        if (spec == null) {
            e.add("spec", "required (with at least spec.image)");
            return;
        }
        if (spec.image() == null || spec.image().isEmpty()) {
            e.add("spec.image", "required: the name of an Image object in the same namespace");
        } else {
            e.check("spec.image", SpecChecks.objectName(spec.image(), "Image"));
        }
        strings("spec.command", spec.command(), e);
        strings("spec.args", spec.args(), e);
        env(spec.env(), e);
        ExecChecks.process(spec, e);
        if (spec.workingDir() != null) {
            e.check("spec.workingDir", SpecChecks.absolutePath(spec.workingDir()));
        }
        if (spec.user() != null && !USER.matcher(spec.user()).matches()) {
            e.add("spec.user", "\"" + spec.user() + "\" is not uid[:gid] or a user name (e.g. 1000:1000, nobody)");
        }
        resources(spec.resources(), e);
        mounts(spec.mounts(), e);
        if (spec.hostname() != null) {
            e.check("spec.hostname", Names.dns1123Label(spec.hostname()));
        }
        if (spec.sandbox() != null) {
            e.check("spec.sandbox", SpecChecks.objectName(spec.sandbox(), "Sandbox"));
        }
        SpecChecks.nodeName(spec.nodeName(), e);
        ProbeChecks.probes(spec, e);
        if (spec.progressDeadlineSeconds() != null && spec.progressDeadlineSeconds() < 1) {
            e.add("spec.progressDeadlineSeconds", spec.progressDeadlineSeconds() + " is too small: it is the number of"
                    + " seconds a rolled-out task may take to become Ready, at least 1 (leave it out for "
                    + ContainerSpec.DEFAULT_PROGRESS_DEADLINE_SECONDS + ")");
        }
    }

    private static void strings(String path, List<String> list, Validator.Errors e) {
        if (list == null) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null) {
                e.add(path + "[" + i + "]", "must be a string, not null");
            }
        }
    }

    private static void env(List<ContainerSpec.EnvVar> env, Validator.Errors e) {
        if (env == null) {
            return;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < env.size(); i++) {
            String path = "spec.env[" + i + "]";
            ContainerSpec.EnvVar v = env.get(i);
            if (v == null) {
                e.add(path, "must be a mapping with name and value");
                continue;
            }
            if (v.name() == null || v.name().isEmpty()) {
                e.add(path + ".name", "required");
            } else if (v.name().contains("=") || v.name().indexOf('\0') >= 0) {
                e.add(path + ".name", "\"" + v.name() + "\" must not contain '=' or NUL");
            } else {
                Integer first = seen.putIfAbsent(v.name(), i);
                if (first != null) {
                    e.add(path + ".name", "\"" + v.name() + "\" is already set by spec.env[" + first + "]");
                }
            }
        }
    }

    private static void resources(ContainerSpec.Resources r, Validator.Errors e) {
        if (r == null) {
            return;
        }
        if (r.memory() != null) {
            try {
                long bytes = Quantities.memoryBytes(r.memory());
                if (bytes < MIN_MEMORY) {
                    e.add("spec.resources.memory", "\"" + r.memory() + "\" is below the 6Mi a container needs to start");
                }
            } catch (QuantityException q) {
                e.add("spec.resources.memory", q.getMessage() + " (e.g. 64Mi)");
            }
        }
        if (r.cpu() != null) {
            try {
                if (Quantities.cpuMillis(r.cpu()) == 0) {
                    e.add("spec.resources.cpu", "\"" + r.cpu() + "\" must be at least 1m");
                }
            } catch (QuantityException q) {
                e.add("spec.resources.cpu", q.getMessage() + " (e.g. 500m or 2)");
            }
        }
        if (r.pids() != null && r.pids() < 1) {
            e.add("spec.resources.pids", r.pids() + " must be at least 1");
        }
    }

    /** Where the runtime mounts the container's root and kernel file systems, which a mount may not replace. */
    private static final List<String> RUNTIME_MOUNTS = List.of("/", "/proc", "/sys", "/sys/fs/cgroup", "/dev",
            "/dev/pts", "/dev/mqueue");

    private static java.util.Optional<String> runtimeOwned(String destination) {
        String d = destination.length() > 1 && destination.endsWith("/")
                ? destination.substring(0, destination.length() - 1) : destination;
        if (RUNTIME_MOUNTS.contains(d) || d.startsWith("/proc/") || d.startsWith("/sys/")) {
            return java.util.Optional.of("\"" + destination + "\" is where the runtime mounts "
                    + (d.equals("/") ? "the container's root file system" : "a kernel file system")
                    + "; mount somewhere else (e.g. /data)");
        }
        return java.util.Optional.empty();
    }

    private static void mounts(List<ContainerSpec.Mount> mounts, Validator.Errors e) {
        if (mounts == null) {
            return;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < mounts.size(); i++) {
            String path = "spec.mounts[" + i + "]";
            ContainerSpec.Mount m = mounts.get(i);
            if (m == null) {
                e.add(path, "must be a mapping with destination, type and source");
                continue;
            }
            if (m.destination() == null) {
                e.add(path + ".destination", "required: an absolute path in the container");
            } else {
                e.check(path + ".destination", SpecChecks.absolutePath(m.destination()));
                e.check(path + ".destination", runtimeOwned(m.destination()));
                Integer first = seen.putIfAbsent(m.destination(), i);
                if (first != null) {
                    e.add(path + ".destination", "\"" + m.destination() + "\" is already mounted by spec.mounts[" + first + "]");
                }
            }
            if (m.type() == ContainerSpec.MountType.Bind) {
                if (m.source() == null) {
                    e.add(path + ".source", "required for a Bind mount: an absolute host path");
                } else {
                    e.check(path + ".source", SpecChecks.absolutePath(m.source()));
                }
            } else if (m.source() != null) {
                e.add(path + ".source", "must be empty for a " + m.type() + " mount");
            }
            strings(path + ".options", m.options(), e);
        }
    }
}
