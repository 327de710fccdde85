package dev.berth.controller.api;

import dev.berth.controller.source.ManifestDecoder;
import dev.berth.controller.source.ManifestDirectorySource;
import dev.berth.crd.ObjectRef;
import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import dev.berth.crd.codec.SpecCodec;
import io.fabric8.kubernetes.client.CustomResource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Kubernetes-style resource endpoints of the local API over the {@link ObjectStore}:
 * {@code /apis/berth.dev/v1alpha1/[namespaces/{ns}/]{plural}[/{name}]} with GET (list, get,
 * {@code ?watch=true}), DELETE, and {@code POST /apis/berth.dev/v1alpha1/apply} taking multi-document
 * YAML (what {@code berth apply -f} sends). Objects applied here are owned by the source {@code api}.
 * The store's typed objects become JSON here, on their way out, in the codec's shape (null fields
 * left out). Thread-safe.
 */
public final class ObjectsApi {
    public static final String BASE = "/apis/berth.dev/v1alpha1";
    public static final String SOURCE = "api";
    /** plural → kind. */
    public static final Map<String, String> KINDS = Map.of(
            "images", "Image", "snapshots", "Snapshot", "containers", "Container", "sandboxes", "Sandbox");

    private static final ObjectMapper JSON = new SpecCodec().jsonMapper();

    private final ObjectStore store;
    private final ManifestDecoder decoder;

    public ObjectsApi(ObjectStore store, ManifestDecoder decoder) {
        this.store = store;
        this.decoder = decoder;
    }

    public void register(ApiServer api) {
        api.route("POST", BASE + "/apply", this::apply);
        api.route("GET", BASE + "/{plural}", r -> list(r, null));
        api.route("GET", BASE + "/namespaces/{namespace}/{plural}", r -> list(r, r.param("namespace")));
        api.route("GET", BASE + "/namespaces/{namespace}/{plural}/{name}", this::get);
        api.route("DELETE", BASE + "/namespaces/{namespace}/{plural}/{name}", this::delete);
    }

    /** The plural resource name of a kind ({@code Container} → {@code containers}). */
    public static String pluralOf(String kind) {
        return KINDS.entrySet().stream().filter(e -> e.getValue().equals(kind)).map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> BerthException.notFound("unknown kind %s", kind));
    }

    /** Maps a plural, kind, or short name ({@code ctr}, {@code img}) to the kind. */
    public static String kindOf(String s) {
        String l = s.toLowerCase(java.util.Locale.ROOT);
        for (Map.Entry<String, String> e : KINDS.entrySet()) {
            if (e.getKey().equals(l) || e.getValue().toLowerCase(java.util.Locale.ROOT).equals(l)) {
                return e.getValue();
            }
        }
        return switch (l) {
            case "img", "imgs" -> "Image";
            case "snap", "snaps" -> "Snapshot";
            case "ctr", "ctrs" -> "Container";
            case "sb", "sandbox" -> "Sandbox";
            default -> throw BerthException.notFound("the server doesn't have a resource type \"%s\" "
                    + "(known: images, snapshots, containers, sandboxes)", s);
        };
    }

    private ApiResponse apply(ApiRequest r) {
        boolean force = Boolean.parseBoolean(r.query("force", "false"));
        String name = r.query("filename", "request body");
        List<CustomResource<?, ?>> objects = decoder.decode(Path.of(name), r.body());
        if (objects.isEmpty()) {
            throw BerthException.invalid("%s: no objects found (the input is empty or holds only comments and empty "
                    + "documents); nothing was applied", name);
        }
        if (Boolean.parseBoolean(r.query("dryRun", "false"))) {
            List<Map<String, Object>> plans = new ArrayList<>();
            for (CustomResource<?, ?> o : objects) {
                plans.add(Plans.plan(store, o, SOURCE, ManifestDirectorySource.PREFIX + name, force));
            }
            return ApiResponse.ok(Map.of("results", plans));
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (CustomResource<?, ?> o : objects) {
            ObjectStore.ApplyOutcome out = store.apply(o, SOURCE, force);
            ObjectRef k = ObjectStore.keyOf(o);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", k.toString());
            m.put("outcome", out.name().toLowerCase(java.util.Locale.ROOT));
            m.put("generation", store.get(k).map(StoredObject::generation).orElse(0L));
            results.add(m);
        }
        return ApiResponse.ok(Map.of("results", results));
    }

    private ApiResponse list(ApiRequest r, String namespace) {
        String kind = kindOf(r.param("plural"));
        if (Boolean.parseBoolean(r.query("watch", "false"))) {
            return watch(kind, namespace);
        }
        List<JsonNode> items = new ArrayList<>();
        for (StoredObject o : store.list(kind)) {
            if (namespace == null || namespace.equals(o.key().namespace())) {
                items.add(json(o));
            }
        }
        return ApiResponse.ok(Map.of("apiVersion", "berth.dev/v1alpha1", "kind", kind + "List",
                "metadata", Map.of("resourceVersion", Long.toString(store.resourceVersion())), "items", items));
    }

    private ApiResponse get(ApiRequest r) {
        ObjectRef k = new ObjectRef(kindOf(r.param("plural")), r.param("namespace"), r.param("name"));
        return ApiResponse.ok(store.get(k).map(ObjectsApi::json)
                .orElseThrow(() -> BerthException.notFound("%s \"%s\" not found in namespace %s", k.kind(), k.name(),
                        k.namespace())));
    }

    private ApiResponse delete(ApiRequest r) {
        ObjectRef k = new ObjectRef(kindOf(r.param("plural")), r.param("namespace"), r.param("name"));
        if (!store.requestDeletion(k)) {
            throw BerthException.notFound("%s \"%s\" not found in namespace %s", k.kind(), k.name(), k.namespace());
        }
        return ApiResponse.ok(Map.of("kind", "Status", "status", "Success", "details", Map.of("name", k.name())));
    }

    private ApiResponse watch(String kind, String namespace) {
        return ApiResponse.stream(sink -> {
            BlockingQueue<ObjectStore.Event> q = new LinkedBlockingQueue<>();
            Consumer<ObjectStore.Event> l = e -> {
                if (e.object().key().kind().equals(kind)
                        && (namespace == null || namespace.equals(e.object().key().namespace()))) {
                    q.add(e);
                }
            };
            store.addListener(l);
            try {
                for (StoredObject o : store.list(kind)) {
                    if (namespace == null || namespace.equals(o.key().namespace())) {
                        sink.send(Map.of("type", "ADDED", "object", json(o)));
                    }
                }
                while (true) {
                    ObjectStore.Event e = q.poll(10, TimeUnit.SECONDS);
                    if (e == null) {
                        // also how a client that went away is noticed
                        sink.send(Map.of("type", "BOOKMARK", "object", Map.of("metadata",
                                Map.of("resourceVersion", Long.toString(store.resourceVersion())))));
                    } else {
                        sink.send(Map.of("type", e.change().name(), "object", json(e.object())));
                    }
                }
            } finally {
                store.removeListener(l);
            }
        });
    }

    /** The object as the API serves it. */
    static JsonNode json(StoredObject o) {
        return JSON.valueToTree(o.object());
    }
}
