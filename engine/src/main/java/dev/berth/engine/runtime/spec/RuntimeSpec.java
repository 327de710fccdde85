package dev.berth.engine.runtime.spec;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.OciJson;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;

/**
 * The OCI runtime configuration ({@code config.json} of a bundle), limited to the fields Berth sets.
 * Field names follow the runtime-spec JSON schema. Immutable; build one with {@link SpecGenerator},
 * or take a client's whole document with {@link #ofDocument} (containerd's clients send their own
 * spec): then the modelled fields are read from it and {@link #toJson()} writes the document itself,
 * so what Berth does not model (device rules, seccomp, hooks, ...) is kept exactly.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record RuntimeSpec(
        @JsonProperty("ociVersion") String ociVersion,
        @JsonProperty("process") Process process,
        @JsonProperty("root") Root root,
        @JsonProperty("hostname") String hostname,
        @JsonProperty("mounts") List<Mount> mounts,
        @JsonProperty("linux") Linux linux,
        @JsonProperty("annotations") Map<String, String> annotations,
        @com.fasterxml.jackson.annotation.JsonIgnore byte[] document) {

    /** A spec of the fields Berth models, written from them. */
    public RuntimeSpec(String ociVersion, Process process, Root root, String hostname, List<Mount> mounts, Linux linux,
            Map<String, String> annotations) {
        this(ociVersion, process, root, hostname, mounts, linux, annotations, null);
    }

    /**
     * A client's whole spec document: the modelled fields parsed from it (INVALID_ARGUMENT naming
     * {@code what} when it is not a runtime spec), written back byte for byte.
     */
    public static RuntimeSpec ofDocument(byte[] json, String what) {
        RuntimeSpec s = fromJson(json, what);
        return new RuntimeSpec(s.ociVersion, s.process, s.root, s.hostname, s.mounts, s.linux, s.annotations,
                json.clone());
    }

    /** The runtime-spec version Berth writes (supported by runc 1.1 and crun 1.8). */
    public static final String VERSION = "1.0.2";

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Process(
            @JsonProperty("terminal") Boolean terminal,
            @JsonProperty("user") User user,
            @JsonProperty("args") List<String> args,
            @JsonProperty("env") List<String> env,
            @JsonProperty("cwd") String cwd,
            @JsonProperty("capabilities") Capabilities capabilities,
            @JsonProperty("rlimits") List<Rlimit> rlimits,
            @JsonProperty("noNewPrivileges") Boolean noNewPrivileges) {

        public Process withArgs(List<String> newArgs) {
            return new Process(terminal, user, newArgs, env, cwd, capabilities, rlimits, noNewPrivileges);
        }

        public Process withEnv(List<String> newEnv) {
            return new Process(terminal, user, args, newEnv, cwd, capabilities, rlimits, noNewPrivileges);
        }

        public Process withCwd(String newCwd) {
            return new Process(terminal, user, args, env, newCwd, capabilities, rlimits, noNewPrivileges);
        }

        public Process withTerminal(Boolean newTerminal) {
            return new Process(newTerminal, user, args, env, cwd, capabilities, rlimits, noNewPrivileges);
        }

        /** Whether the process runs on a terminal (process.terminal is true). */
        public boolean hasTerminal() {
            return Boolean.TRUE.equals(terminal);
        }

        public Process withUser(User newUser) {
            return new Process(terminal, newUser, args, env, cwd, capabilities, rlimits, noNewPrivileges);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record User(
            @JsonProperty("uid") int uid,
            @JsonProperty("gid") int gid,
            @JsonProperty("additionalGids") List<Integer> additionalGids) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Capabilities(
            @JsonProperty("bounding") List<String> bounding,
            @JsonProperty("effective") List<String> effective,
            @JsonProperty("permitted") List<String> permitted) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Rlimit(@JsonProperty("type") String type, @JsonProperty("hard") long hard,
            @JsonProperty("soft") long soft) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Root(@JsonProperty("path") String path, @JsonProperty("readonly") Boolean readonly) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Mount(
            @JsonProperty("destination") String destination,
            @JsonProperty("type") String type,
            @JsonProperty("source") String source,
            @JsonProperty("options") List<String> options) {

        /** A recursive bind mount of {@code source} at {@code destination}, read-only if asked. */
        public static Mount bind(String source, String destination, boolean readOnly) {
            return new Mount(destination, "bind", source,
                    readOnly ? List.of("rbind", "rprivate", "ro") : List.of("rbind", "rprivate", "rw"));
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Linux(
            @JsonProperty("resources") LinuxResources resources,
            @JsonProperty("cgroupsPath") String cgroupsPath,
            @JsonProperty("namespaces") List<Namespace> namespaces,
            @JsonProperty("maskedPaths") List<String> maskedPaths,
            @JsonProperty("readonlyPaths") List<String> readonlyPaths) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Namespace(@JsonProperty("type") String type, @JsonProperty("path") String path) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record LinuxResources(
            @JsonProperty("devices") List<DeviceRule> devices,
            @JsonProperty("memory") Memory memory,
            @JsonProperty("cpu") Cpu cpu,
            @JsonProperty("pids") Pids pids) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DeviceRule(@JsonProperty("allow") boolean allow, @JsonProperty("access") String access) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Memory(@JsonProperty("limit") Long limit, @JsonProperty("reservation") Long reservation,
            @JsonProperty("swap") Long swap) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Cpu(@JsonProperty("shares") Long shares, @JsonProperty("quota") Long quota,
            @JsonProperty("period") Long period, @JsonProperty("cpus") String cpus) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Pids(@JsonProperty("limit") long limit) {
    }

    /** config.json bytes: the client's document as given, else the modelled fields indented like runc's. */
    public byte[] toJson() {
        if (document != null) {
            return document.clone();
        }
        return OciJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
    }

    /** Parses config.json; INVALID_ARGUMENT naming {@code what} when malformed. */
    public static RuntimeSpec fromJson(byte[] json, String what) {
        try {
            return OciJson.MAPPER.readValue(json, RuntimeSpec.class);
        } catch (JacksonException e) {
            throw BerthException.invalid("%s is not a valid OCI runtime config: %s", what, e.getOriginalMessage());
        }
    }
}
