package dev.berth.crd.container;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.berth.crd.quantity.QuantityDeserializer;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * Desired state of a {@link Container}. Immutable. Changes to {@code resources} can be applied to a
 * running task; changes to the other fields need the container recreated.
 *
 * @param image name of an Image object in the same namespace
 * @param command replaces the image's entrypoint when present
 * @param args replaces the image's cmd when present
 * @param env environment added to the image's
 * @param workingDir absolute path; the image's when absent
 * @param user {@code uid[:gid]} or a user name from the image; the image's when absent
 * @param resources memory, cpu (Kubernetes quantities) and pids limits
 * @param mounts bind and tmpfs mounts
 * @param hostname the container's hostname; the object name when absent
 * @param readOnlyRootFilesystem mount the root filesystem read-only
 * @param restartPolicy Always (default), OnFailure or Never
 * @param state Running (default) or Stopped
 * @param sandbox name of a Sandbox object whose namespaces the container joins
 * @param nodeName in Kubernetes mode, the node whose agent handles this object
 * @param startupProbe holds the other probes off until it succeeds; its failure restarts the container
 * @param livenessProbe its failure kills the container, which then restarts per restartPolicy; the
 *        image's HEALTHCHECK when absent
 * @param readinessProbe decides the Ready condition while the container runs
 * @param progressDeadlineSeconds during an image rollout, how long the new task may take to be started
 *        and Ready before the rollout is rolled back ({@value #DEFAULT_PROGRESS_DEADLINE_SECONDS} when absent,
 *        as a Deployment's)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContainerSpec(
        @Required @JsonPropertyDescription("name of an Image object in the same namespace") String image,
        List<String> command,
        List<String> args,
        List<EnvVar> env,
        String workingDir,
        @JsonPropertyDescription("uid[:gid] or a user name known to the image") String user,
        Resources resources,
        List<Mount> mounts,
        String hostname,
        boolean readOnlyRootFilesystem,
        RestartPolicy restartPolicy,
        DesiredState state,
        @JsonPropertyDescription("name of a Sandbox object in the same namespace") String sandbox,
        String nodeName,
        @JsonPropertyDescription("holds the other probes off until it succeeds (kubelet's startupProbe)") Probe startupProbe,
        @JsonPropertyDescription("restarts the container when it fails; the image's HEALTHCHECK when absent") Probe livenessProbe,
        @JsonPropertyDescription("decides the Ready condition while the container runs") Probe readinessProbe,
        @JsonPropertyDescription("seconds a rolled-out task may take to be Ready before the rollout is rolled back (600)")
        Integer progressDeadlineSeconds) {

    /** Deployment's default progress deadline. */
    public static final int DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

    /** A spec without a progress deadline. */
    public ContainerSpec(String image, List<String> command, List<String> args, List<EnvVar> env, String workingDir,
            String user, Resources resources, List<Mount> mounts, String hostname, boolean readOnlyRootFilesystem,
            RestartPolicy restartPolicy, DesiredState state, String sandbox, String nodeName, Probe startupProbe,
            Probe livenessProbe, Probe readinessProbe) {
        this(image, command, args, env, workingDir, user, resources, mounts, hostname, readOnlyRootFilesystem,
                restartPolicy, state, sandbox, nodeName, startupProbe, livenessProbe, readinessProbe, null);
    }

    /** The progress deadline in force (the default when absent). */
    public java.time.Duration progressDeadline() {
        return java.time.Duration.ofSeconds(progressDeadlineSeconds == null ? DEFAULT_PROGRESS_DEADLINE_SECONDS
                : progressDeadlineSeconds);
    }

    /** This spec with {@code seconds} as its progress deadline. */
    public ContainerSpec withProgressDeadlineSeconds(Integer seconds) {
        return new ContainerSpec(image, command, args, env, workingDir, user, resources, mounts, hostname,
                readOnlyRootFilesystem, restartPolicy, state, sandbox, nodeName, startupProbe, livenessProbe,
                readinessProbe, seconds);
    }

    /** A spec without probes. */
    public ContainerSpec(String image, List<String> command, List<String> args, List<EnvVar> env, String workingDir,
            String user, Resources resources, List<Mount> mounts, String hostname, boolean readOnlyRootFilesystem,
            RestartPolicy restartPolicy, DesiredState state, String sandbox, String nodeName) {
        this(image, command, args, env, workingDir, user, resources, mounts, hostname, readOnlyRootFilesystem,
                restartPolicy, state, sandbox, nodeName, null, null, null);
    }

    /** This spec with the given probes (null: none of that kind). */
    public ContainerSpec withProbes(Probe startup, Probe liveness, Probe readiness) {
        return new ContainerSpec(image, command, args, env, workingDir, user, resources, mounts, hostname,
                readOnlyRootFilesystem, restartPolicy, state, sandbox, nodeName, startup, liveness, readiness,
                progressDeadlineSeconds);
    }

    public ContainerSpec {
        if (restartPolicy == null) {
            restartPolicy = RestartPolicy.Always;
        }
        if (state == null) {
            state = DesiredState.Running;
        }
    }

    /** One environment variable. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EnvVar(@Required String name, String value) {
    }

    /**
     * Resource limits. {@code memory} and {@code cpu} use Kubernetes quantity syntax ({@code 64Mi},
     * {@code 500m}); parse them with {@code dev.berth.crd.quantity.Quantities}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Resources(
            @JsonPropertyDescription("memory limit, e.g. 64Mi") @SchemaFrom(type = IntOrString.class)
            @JsonDeserialize(using = QuantityDeserializer.class) String memory,
            @JsonPropertyDescription("CPU limit in cores, e.g. 500m or 1.5") @SchemaFrom(type = IntOrString.class)
            @JsonDeserialize(using = QuantityDeserializer.class) String cpu,
            @JsonPropertyDescription("maximum number of processes") Long pids) {
    }

    /** A mount into the container. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Mount(
            @Required @JsonPropertyDescription("absolute path in the container") String destination,
            MountType type,
            @JsonPropertyDescription("absolute host path (Bind)") String source,
            boolean readOnly,
            List<String> options) {

        public Mount {
            if (type == null) {
                type = MountType.Bind;
            }
        }
    }

    /** Kinds of {@link Mount}. */
    public enum MountType {
        /** A host directory or file bind-mounted (the default). */
        Bind,
        /** A fresh tmpfs. */
        Tmpfs
    }
}
