package dev.berth.crd.image;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/**
 * Desired state of an {@link Image}. Immutable.
 *
 * @param ref image reference, e.g. {@code docker.io/library/busybox:1.36} or {@code localhost/berth/busybox:latest}
 * @param pullPolicy when to pull; defaults to {@link PullPolicy#IfNotPresent}
 * @param platform {@code os/arch[/variant]} to select from an index; defaults to the node's
 * @param credentials where registry credentials come from; anonymous when absent
 * @param unpack snapshotter to unpack into; the configured default snapshotter when absent
 * @param nodeName in Kubernetes mode, the node whose agent handles this object
 * @param updateInterval with {@code pullPolicy: Always}, how often the tag's digest is checked in the
 *        registry (one HEAD request), as a Go/Flux duration ({@code 30s}, {@code 5m}, {@code 1h30m}); a
 *        changed digest is pulled and rolled out to the Containers using the Image one at a time
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageSpec(
        @Required @JsonPropertyDescription("image reference, e.g. docker.io/library/busybox:1.36") String ref,
        PullPolicy pullPolicy,
        @JsonPropertyDescription("os/arch[/variant]; the node's platform when empty") String platform,
        Credentials credentials,
        Unpack unpack,
        String nodeName,
        @JsonPropertyDescription("with pullPolicy Always: how often to check the tag's digest, e.g. 30s, 5m")
        String updateInterval) {

    /** A spec without an update interval. */
    public ImageSpec(String ref, PullPolicy pullPolicy, String platform, Credentials credentials, Unpack unpack,
            String nodeName) {
        this(ref, pullPolicy, platform, credentials, unpack, nodeName, null);
    }

    /** The update interval as a duration; empty when none is set. Assumes the spec was validated. */
    public java.util.Optional<java.time.Duration> updateEvery() {
        return updateInterval == null ? java.util.Optional.empty()
                : java.util.Optional.of(GoDurations.parse(updateInterval));
    }

    public ImageSpec {
        if (pullPolicy == null) {
            pullPolicy = PullPolicy.IfNotPresent;
        }
    }

    /**
     * Where credentials for the registry come from: exactly one of a Kubernetes Secret of type
     * {@code kubernetes.io/dockerconfigjson} in the object's namespace, or a Docker
     * {@code config.json} file on the node.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Credentials(String secretName, String file) {
    }

    /** Unpack target. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Unpack(@JsonPropertyDescription("overlay or native") String snapshotter) {
    }
}
