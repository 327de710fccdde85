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
        } else {
            e.add("kind", "\"" + object.getKind() + "\" is not a Berth kind");
        }
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
