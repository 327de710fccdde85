package dev.berth.engine.runtime.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a container should run, on top of its image's defaults: the fields a Container object's spec
 * carries down to the runtime. Null or empty means "take the image's value" (or the runtime
 * default). The args rules are Kubernetes' and Docker's: {@code command} replaces the image
 * Entrypoint and drops the image Cmd; {@code args} replaces the image Cmd. Immutable; build with
 * {@link #builder()}.
 *
 * @param command        replaces the image Entrypoint (Docker {@code --entrypoint}, Kubernetes command)
 * @param args           replaces the image Cmd
 * @param env            {@code KEY=value} entries merged over the image Env (same key: this wins)
 * @param workingDir     absolute directory; default the image WorkingDir, else {@code /}
 * @param user           {@code name}, {@code uid}, {@code name:group} or {@code uid:gid}; default the image User, else root
 * @param hostname       the UTS hostname; default the container id
 * @param mounts         extra mounts (bind mounts, tmpfs); one at the same destination as a default replaces it
 * @param readOnlyRootfs mount the root filesystem read-only
 * @param resources      cgroup limits
 * @param namespacePaths namespaces to join instead of creating: type (pid, network, ipc, uts, mount, cgroup) to a
 *                       path such as {@code /proc/123/ns/net}, for containers in a sandbox
 * @param hostNamespaces namespace types to share with the host (not created at all), e.g. {@code network}
 * @param annotations    copied to the OCI config's annotations
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ContainerSpec(
        @JsonProperty("command") List<String> command,
        @JsonProperty("args") List<String> args,
        @JsonProperty("env") List<String> env,
        @JsonProperty("workingDir") String workingDir,
        @JsonProperty("user") String user,
        @JsonProperty("hostname") String hostname,
        @JsonProperty("mounts") List<RuntimeSpec.Mount> mounts,
        @JsonProperty("readOnlyRootfs") boolean readOnlyRootfs,
        @JsonProperty("resources") Resources resources,
        @JsonProperty("namespacePaths") Map<String, String> namespacePaths,
        @JsonProperty("hostNamespaces") Set<String> hostNamespaces,
        @JsonProperty("annotations") Map<String, String> annotations) {

    static final Set<String> NAMESPACE_TYPES = Set.of("pid", "network", "ipc", "uts", "mount", "cgroup");

    public ContainerSpec {
        command = command == null ? List.of() : List.copyOf(command);
        args = args == null ? List.of() : List.copyOf(args);
        env = env == null ? List.of() : List.copyOf(env);
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        resources = resources == null ? Resources.NONE : resources;
        namespacePaths = namespacePaths == null ? Map.of() : Map.copyOf(namespacePaths);
        hostNamespaces = hostNamespaces == null ? Set.of() : Set.copyOf(hostNamespaces);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        for (String e : env) {
            if (e.indexOf('=') <= 0) {
                throw BerthException.invalid("env entry '%s' must have the form KEY=value", e);
            }
        }
        if (workingDir != null && !workingDir.isEmpty() && !workingDir.startsWith("/")) {
            throw BerthException.invalid("workingDir '%s' must be an absolute path", workingDir);
        }
        for (RuntimeSpec.Mount m : mounts) {
            if (m.destination() == null || !m.destination().startsWith("/")) {
                throw BerthException.invalid("mount destination '%s' must be an absolute path", m.destination());
            }
        }
        for (String t : namespacePaths.keySet()) {
            if (!NAMESPACE_TYPES.contains(t)) {
                throw BerthException.invalid("namespacePaths key '%s' is not one of %s", t, NAMESPACE_TYPES);
            }
        }
        for (String t : hostNamespaces) {
            if (!NAMESPACE_TYPES.contains(t) || t.equals("mount")) {
                throw BerthException.invalid("hostNamespaces entry '%s' must be one of pid, network, ipc, uts, cgroup", t);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this spec. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.command = new ArrayList<>(command);
        b.args = new ArrayList<>(args);
        b.env = new ArrayList<>(env);
        b.workingDir = workingDir;
        b.user = user;
        b.hostname = hostname;
        b.mounts = new ArrayList<>(mounts);
        b.readOnlyRootfs = readOnlyRootfs;
        b.resources = resources;
        b.namespacePaths = new LinkedHashMap<>(namespacePaths);
        b.hostNamespaces = new java.util.LinkedHashSet<>(hostNamespaces);
        b.annotations = new LinkedHashMap<>(annotations);
        return b;
    }

    /** Builds a {@link ContainerSpec}; validation happens in {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private List<String> command = new ArrayList<>();
        private List<String> args = new ArrayList<>();
        private List<String> env = new ArrayList<>();
        private String workingDir;
        private String user;
        private String hostname;
        private List<RuntimeSpec.Mount> mounts = new ArrayList<>();
        private boolean readOnlyRootfs;
        private Resources resources = Resources.NONE;
        private Map<String, String> namespacePaths = new LinkedHashMap<>();
        private Set<String> hostNamespaces = new java.util.LinkedHashSet<>();
        private Map<String, String> annotations = new LinkedHashMap<>();

        public Builder command(List<String> v) {
            command = new ArrayList<>(v);
            return this;
        }

        public Builder command(String... v) {
            return command(List.of(v));
        }

        public Builder args(List<String> v) {
            args = new ArrayList<>(v);
            return this;
        }

        public Builder args(String... v) {
            return args(List.of(v));
        }

        public Builder env(String key, String value) {
            env.add(key + "=" + value);
            return this;
        }

        public Builder env(List<String> entries) {
            env.addAll(entries);
            return this;
        }

        public Builder workingDir(String v) {
            workingDir = v;
            return this;
        }

        public Builder user(String v) {
            user = v;
            return this;
        }

        public Builder hostname(String v) {
            hostname = v;
            return this;
        }

        public Builder mount(RuntimeSpec.Mount m) {
            mounts.add(m);
            return this;
        }

        public Builder readOnlyRootfs(boolean v) {
            readOnlyRootfs = v;
            return this;
        }

        public Builder resources(Resources v) {
            resources = v;
            return this;
        }

        public Builder joinNamespace(String type, String path) {
            namespacePaths.put(type, path);
            return this;
        }

        public Builder hostNamespace(String type) {
            hostNamespaces.add(type);
            return this;
        }

        public Builder annotation(String key, String value) {
            annotations.put(key, value);
            return this;
        }

        public ContainerSpec build() {
            return new ContainerSpec(command, args, env, workingDir, user, hostname, mounts, readOnlyRootfs,
                    resources, namespacePaths, hostNamespaces, annotations);
        }
    }
}
