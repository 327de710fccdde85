package dev.berth.controller.api;

import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.reconcilers.container.SpecChange;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.CustomResource;
import tools.jackson.databind.ObjectMapper;

/**
 * What an apply would do to one object, without doing it ({@code berth diff}): created, configured
 * or unchanged, the spec fields that change, and for Containers what the node will do about it
 * (live resource update, start/stop, or recreate). Stateless.
 */
final class Plans {
    private static final ObjectMapper JSON = new SpecCodec().jsonMapper();

    private Plans() {
    }

    /**
     * What applying {@code desired} as {@code source} would do. When the object belongs to the file
     * {@code fileSource} names (the user diffs the very manifest the daemon reads), the plan is the
     * one the daemon carries out when it reads that file, not a conflict; every plan of an existing
     * object names its {@code owner}.
     */
    static Map<String, Object> plan(ObjectStore store, CustomResource<?, ?> desired, String source, String fileSource,
            boolean force) {
        ObjectRef key = ObjectStore.keyOf(desired);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", key.toString());
        Optional<StoredObject> current = store.get(key);
        if (current.isEmpty()) {
            m.put("outcome", "created");
            m.put("action", key.kind().equals("Container") ? "create and start the container" : "create");
            return m;
        }
        StoredObject cur = current.get();
        m.put("owner", cur.source());
        boolean ownFile = cur.source().equals(fileSource);
        if (!cur.source().equals(source) && !force && !ownFile) {
            m.put("outcome", "conflict");
            m.put("action", "none: managed by " + cur.source() + " (apply with --force to take it over)");
            return m;
        }
        List<String> changed = new ArrayList<>();
        // the field paths are for the user: compare as the API would show both
        diff("spec", JSON.valueToTree(cur.spec()), JSON.valueToTree(desired.getSpec()), changed);
        diff("metadata.labels", JSON.valueToTree(cur.labels()),
                JSON.valueToTree(labels(desired.getMetadata().getLabels())), changed);
        if (changed.isEmpty()) {
            m.put("outcome", "unchanged");
            m.put("action", "none");
            return m;
        }
        m.put("outcome", "configured");
        m.put("changes", changed);
        if (key.kind().equals("Container")) {
            SpecChange c = SpecChange.between(cur.spec(ContainerSpec.class), (ContainerSpec) desired.getSpec());
            m.put("action", c.recreate() ? "recreate the container (" + String.join(", ", c.fields()) + ")"
                    : c.resources() ? "update resources of the running task in place"
                    : c.state() ? "start or stop the task" : "none on the node");
        } else {
            m.put("action", "reconcile");
        }
        return m;
    }

    private static Map<String, String> labels(Map<String, String> l) {
        return l == null ? Map.of() : l;
    }

    /** Field paths under {@code path} whose values differ. */
    static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
        if (a.equals(b)) {
            return;
        }
        if (a.isObject() && b.isObject()) {
            List<String> names = new ArrayList<>();
            a.propertyNames().forEach(names::add);
            b.propertyNames().forEach(n -> {
                if (!names.contains(n)) {
                    names.add(n);
                }
            });
            for (String n : names) {
                diff(path + "." + n, a.path(n), b.path(n), out);
            }
            return;
        }
        out.add(path + ": " + render(a) + " -> " + render(b));
    }

    private static String render(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "(unset)" : n.toString();
    }
}
