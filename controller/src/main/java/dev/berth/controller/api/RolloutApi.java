package dev.berth.controller.api;

import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.image.Image;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.ImageStore;
import dev.berth.reconcilers.rollout.ImageRollout;
import dev.berth.reconcilers.rollout.RolloutProgress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A Container's image rollout on the local API, what {@code berth rollout status|history|undo
 * container NAME} reads and asks:
 * <ul>
 *   <li>{@code GET .../namespaces/{ns}/containers/{name}/rollout}: where the Container stands
 *       ({@link RolloutProgress}), its Image's {@code status.rollout} and the Container's history;</li>
 *   <li>{@code GET .../rollout/history}: {@code status.history} alone;</li>
 *   <li>{@code POST .../rollout/undo}: rolls the Container's Image back to the digest it rolled out
 *       from ({@link ImageRollout#requestUndo}; the Image's next reconcile, woken here, takes the request).
 *       The rollout unit is the Image: every Container of it goes back.</li>
 * </ul>
 * Thread-safe (reads the store's immutable objects; the undo request is a label write).
 */
public final class RolloutApi {
    private static final String PATH = ObjectsApi.BASE + "/namespaces/{namespace}/containers/{name}/rollout";

    private final ObjectStore store;
    private final ImageStore images;
    private final Consumer<ObjectRef> enqueue;

    public RolloutApi(ObjectStore store, ImageStore images, Consumer<ObjectRef> enqueue) {
        this.store = store;
        this.images = images;
        this.enqueue = enqueue;
    }

    public void register(ApiServer api) {
        api.route("GET", PATH, this::status);
        api.route("GET", PATH + "/history", r -> ApiResponse.ok(Map.of("items", history(container(r)))));
        api.route("POST", PATH + "/undo", this::undo);
    }

    private Container container(ApiRequest r) {
        ObjectRef k = new ObjectRef("Container", r.param("namespace"), r.param("name"));
        return store.get(k).map(o -> (Container) o.object()).orElseThrow(() -> BerthException.notFound(
                "Container \"%s\" not found in namespace %s", k.name(), k.namespace()));
    }

    private Image image(Container c) {
        return store.get(ObjectRef.of(c).sibling("Image", c.getSpec().image())).map(StoredObject::object)
                .map(Image.class::cast).orElse(null);
    }

    private static List<ContainerStatus.HistoryEntry> history(Container c) {
        return c.getStatus() == null || c.getStatus().getHistory() == null ? List.of() : c.getStatus().getHistory();
    }

    private ApiResponse status(ApiRequest r) {
        Container c = container(r);
        Image image = image(c);
        RolloutProgress p = RolloutProgress.of(image, c);
        ObjectRef imageRef = ObjectRef.of(c).sibling("Image", c.getSpec().image());
        if (image != null && ImageRollout.undoRequested(images, imageRef, image)) {
            // asked for, not yet taken: what the Container runs now is about to change
            p = new RolloutProgress("Progressing", false, false, p.runs(), p.wants(), "an undo of Image "
                    + imageRef.name() + "'s rollout was asked for; waiting for the Image to take it");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("container", c.getMetadata().getName());
        m.put("namespace", c.getMetadata().getNamespace());
        m.put("image", c.getSpec().image());
        m.put("state", p.state());
        m.put("done", p.done());
        m.put("failed", p.failed());
        m.put("runs", p.runs());
        m.put("wants", p.wants());
        m.put("message", p.message());
        m.put("rollout", image == null || image.getStatus() == null ? null : image.getStatus().getRollout());
        m.put("history", history(c));
        return ApiResponse.ok(m);
    }

    private ApiResponse undo(ApiRequest r) {
        Container c = container(r);
        Image image = image(c);
        ObjectRef ref = ObjectRef.of(c).sibling("Image", c.getSpec().image());
        if (image == null) {
            throw BerthException.notFound("Container %s/%s uses Image %s, which does not exist; there is no rollout "
                    + "to undo", ref.namespace(), c.getMetadata().getName(), ref.name());
        }
        String to = ImageRollout.requestUndo(images, ref, image, c.getMetadata().getName());
        enqueue.accept(ref);
        return ApiResponse.ok(Map.of("image", ref.name(), "to", to, "message", "rolling Image " + ref.name()
                + " back to " + to + " (every Container that uses it goes back, one task each)"));
    }
}
