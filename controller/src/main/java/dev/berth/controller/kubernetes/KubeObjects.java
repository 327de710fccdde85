package dev.berth.controller.kubernetes;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.codec.SpecException;
import dev.berth.crd.status.BerthStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Conversions between Berth custom resources as the Kubernetes API serves them and the
 * typed objects the {@code ObjectStore} keeps. The local copy carries the API object's
 * {@code metadata.generation} and uid as annotations, so status written back can name the
 * generation Kubernetes counts. Thread-safe.
 */
final class KubeObjects {
    /** Annotation on the local copy: the Kubernetes {@code metadata.generation} it was made from. */
    static final String KUBE_GENERATION = "berth.dev/kube-generation";
    /** Annotation on the local copy: the Kubernetes uid it was made from. */
    static final String KUBE_UID = "berth.dev/kube-uid";
    /** The finalizer this agent keeps on every object it runs, until the node is cleaned up. */
    static final String FINALIZER = "berth.dev/node-cleanup";
    /** Source name of objects in the ObjectStore that came from Kubernetes. */
    static final String SOURCE = "kubernetes";

    private static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

    private final SpecCodec codec;
    private final ObjectMapper json;

    KubeObjects(SpecCodec codec) {
        this.codec = codec;
        this.json = codec.jsonMapper();
    }

    /** {@code spec.nodeName} of an object as served, before it is decoded; null when absent. */
    static String nodeName(GenericKubernetesResource o) {
        Object n = o.get("spec", "nodeName");
        return n instanceof String s ? s : null;
    }

    /**
     * The Berth object of a served resource, decoded and validated as strictly as a manifest file
     * (the API server checks the schema, not quantities, references or names).
     *
     * @throws SpecException listing every problem, with field paths
     */
    CustomResource<?, ?> decode(GenericKubernetesResource o) {
        ObjectRef ref = new ObjectRef(o.getKind(), o.getMetadata().getNamespace(), o.getMetadata().getName());
        return codec.read("kubernetes:" + ref, Serialization.asJson(o)).get(0).object();
    }

    /** {@code spec.nodeName} of a Berth resource, or null. */
    String nodeName(CustomResource<?, ?> o) {
        JsonNode n = json.valueToTree(o.getSpec()).path("nodeName");
        return n.isString() ? n.asString() : null;
    }

    static boolean terminating(HasMetadata o) {
        return o.getMetadata().getDeletionTimestamp() != null;
    }

    static boolean hasFinalizer(HasMetadata o) {
        return o.getMetadata().getFinalizers() != null && o.getMetadata().getFinalizers().contains(FINALIZER);
    }

    /**
     * The object as the ObjectStore takes it: a new typed object of the same kind with name,
     * namespace, labels, annotations (less kubectl's last-applied copy, plus the Kubernetes
     * generation and uid) and the decoded spec.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    CustomResource<?, ?> toStore(CustomResource<?, ?> o) {
        Map<String, String> annotations = new LinkedHashMap<>();
        if (o.getMetadata().getAnnotations() != null) {
            o.getMetadata().getAnnotations().forEach((k, v) -> {
                if (!k.equals(LAST_APPLIED)) {
                    annotations.put(k, v);
                }
            });
        }
        annotations.put(KUBE_GENERATION, String.valueOf(o.getMetadata().getGeneration()));
        annotations.put(KUBE_UID, String.valueOf(o.getMetadata().getUid()));
        Map<String, String> labels = o.getMetadata().getLabels();
        CustomResource out;
        try {
            out = o.getClass().getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make a " + o.getClass().getName(), e);
        }
        out.setMetadata(new ObjectMetaBuilder().withName(o.getMetadata().getName())
                .withNamespace(o.getMetadata().getNamespace())
                .withLabels(labels == null || labels.isEmpty() ? null : new LinkedHashMap<>(labels))
                .withAnnotations(annotations).build());
        out.setSpec(o.getSpec());
        return out;
    }

    /** The status of an API object as JSON in this mapper's shape (null node when none). */
    JsonNode statusOf(CustomResource<?, ?> o) {
        return o.getStatus() == null ? json.nullNode() : json.valueToTree(o.getStatus());
    }

    /**
     * The local status in the API object's status shape (so it compares equal to {@link #statusOf}
     * of the same status), with {@code observedGeneration} replaced by {@code kubeGeneration}
     * (removed when null: the local generation has no known API counterpart).
     */
    JsonNode normalise(BerthStatus localStatus, Long kubeGeneration) {
        ObjectNode s = json.valueToTree(localStatus);
        if (kubeGeneration == null) {
            s.remove("observedGeneration");
        } else {
            s.put("observedGeneration", kubeGeneration);
        }
        return s;
    }

    /** A copy of {@code o} with {@code status} (already normalised) in place of its status. */
    @SuppressWarnings("unchecked")
    <T extends CustomResource<?, ?>> T withStatus(T o, JsonNode status) {
        ObjectNode tree = json.valueToTree(o);
        tree.set("status", status);
        return (T) json.treeToValue(tree, o.getClass());
    }
}
