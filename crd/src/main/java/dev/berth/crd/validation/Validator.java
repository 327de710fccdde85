package dev.berth.crd.validation;

import dev.berth.crd.container.Container;
import dev.berth.crd.image.Image;
import dev.berth.crd.sandbox.Sandbox;
import dev.berth.crd.snapshot.Snapshot;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a decoded object against the rules its schema cannot express: DNS-1123 names, image
 * references, quantities, paths, required and mutually exclusive fields. Every problem is reported
 * with its field path ({@code spec.resources.memory: "12XB" is not a quantity (e.g. 64Mi)}).
 * Stateless and thread-safe.
 */
public final class Validator {
    /** Kubernetes' limit on all annotations of one object, keys plus values (256 KiB). */
    public static final int MAX_ANNOTATION_BYTES = 256 * 1024;

    private Validator() {
    }

    /** All problems of {@code object}; empty when valid. */
    public static List<FieldError> validate(HasMetadata object) {
        Errors e = new Errors();
        boolean labelNames = object instanceof Container || object instanceof Sandbox;
        metadata(object.getMetadata(), labelNames, e);
        if (object instanceof Image i) {
            SpecChecks.image(i.getSpec(), e);
        } else if (object instanceof Snapshot s) {
            SpecChecks.snapshot(s.getSpec(), e);
        } else if (object instanceof Container c) {
            ContainerChecks.container(c.getSpec(), e);
        } else if (object instanceof Sandbox s) {
            SandboxChecks.sandbox(s.getSpec(), e);
            SandboxChecks.bandwidthAnnotations(s, e);
        } else {
            e.add("kind", "\"" + object.getKind() + "\" is not a Berth kind");
        }
        return e.list();
    }

    /**
     * Problems of a Container's HTTP and TCP probes that only its Sandbox shows: a port the Sandbox
     * {@code sandbox} (whose spec is {@code sb}) does not declare, when it declares any. Empty when
     * valid or when the Sandbox declares no ports.
     */
    public static List<FieldError> probePorts(dev.berth.crd.container.ContainerSpec spec, String sandbox,
            dev.berth.crd.sandbox.SandboxSpec sb) {
        Errors e = new Errors();
        ProbeChecks.portsDeclared(spec, sandbox, sb, e);
        return e.list();
    }

    /** Throws {@link IllegalArgumentException} listing all problems, one per line, if any. */
    public static void check(HasMetadata object) {
        List<FieldError> errors = validate(object);
        if (!errors.isEmpty()) {
            StringBuilder b = new StringBuilder("invalid ").append(object.getKind()).append(' ')
                    .append(object.getMetadata() == null ? "" : object.getMetadata().getName()).append(':');
            errors.forEach(f -> b.append("\n  ").append(f));
            throw new IllegalArgumentException(b.toString());
        }
    }

    private static void metadata(ObjectMeta meta, boolean labelName, Errors e) {
        if (meta == null) {
            e.add("metadata", "required (with at least a name)");
            return;
        }
        e.check("metadata.name", labelName ? Names.dns1123Label(meta.getName())
                : Names.dns1123Subdomain(meta.getName()));
        if (meta.getNamespace() != null) {
            e.check("metadata.namespace", Names.dns1123Label(meta.getNamespace()));
        }
        if (meta.getLabels() != null) {
            for (Map.Entry<String, String> l : meta.getLabels().entrySet()) {
                e.check("metadata.labels[" + l.getKey() + "]", Names.labelKey(l.getKey()));
                e.check("metadata.labels[" + l.getKey() + "]", Names.labelValue(l.getValue()));
            }
        }
        if (meta.getAnnotations() != null) {
            annotations(meta.getAnnotations(), e);
        }
    }

    /** Kubernetes' rules: each key a qualified name (case aside), all keys and values at most 256 KiB. */
    private static void annotations(Map<String, String> annotations, Errors e) {
        long total = 0;
        for (Map.Entry<String, String> a : annotations.entrySet()) {
            String path = "metadata.annotations[" + a.getKey() + "]";
            e.check(path, Names.labelKey(a.getKey().toLowerCase(java.util.Locale.ROOT))
                    .map(m -> m.replace("is not a label key", "is not an annotation key")));
            total += a.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    + (a.getValue() == null ? 0 : a.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
        if (total > MAX_ANNOTATION_BYTES) {
            e.add("metadata.annotations", "the annotations are " + total + " bytes (keys plus values), over the limit of "
                    + MAX_ANNOTATION_BYTES + " bytes (256 KiB, as Kubernetes); keep large data out of annotations "
                    + "(in a file the container mounts, or an image)");
        }
    }

    /** Collects problems. Not thread-safe. */
    static final class Errors {
        private final List<FieldError> list = new ArrayList<>();

        void add(String path, String message) {
            list.add(new FieldError(path, message));
        }

        void check(String path, Optional<String> problem) {
            problem.ifPresent(p -> add(path, p));
        }

        List<FieldError> list() {
            return List.copyOf(list);
        }
    }
}
