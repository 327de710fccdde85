package dev.berth.controller.store;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.status.BerthStatus;
import io.fabric8.kubernetes.client.CustomResource;
import java.time.Instant;
import java.util.Map;

/**
 * One spec object as the daemon keeps it: the validated, typed object (its metadata, its spec
 * record and its last written status) plus the bookkeeping the store owns. {@code
 * metadata.generation} counts spec changes, {@code metadata.resourceVersion} counts every change.
 *
 * <p>Immutable by contract: the store never changes an object it has handed out (a write makes a
 * new one), and readers must not change it either (specs are records; metadata and status are
 * beans only because fabric8's types are). Safe to share between threads.
 *
 * @param object the typed object; its metadata carries uid, generation, resourceVersion,
 *     creationTimestamp and deletionTimestamp as they are below
 * @param source which source created it (e.g. {@code file:/etc/berth/manifests/web.yaml}, {@code api})
 * @param deletionTimestamp set when deletion was requested; the object stays until cleanup finishes
 */
public record StoredObject(ObjectRef key, String uid, long generation, long resourceVersion, String source,
        CustomResource<?, ?> object, Instant created, Instant deletionTimestamp) {

    /** The spec (a record of the kind's spec type). */
    public Object spec() {
        return object.getSpec();
    }

    /** The spec as {@code type}. */
    public <S> S spec(Class<S> type) {
        return type.cast(object.getSpec());
    }

    /** The last written status; null when none was written yet. */
    public BerthStatus status() {
        return (BerthStatus) object.getStatus();
    }

    /** The last written status as {@code type}; null when none was written yet. */
    public <S extends BerthStatus> S status(Class<S> type) {
        return type.cast(object.getStatus());
    }

    /** {@code metadata.labels}, never null. */
    public Map<String, String> labels() {
        Map<String, String> l = object.getMetadata().getLabels();
        return l == null ? Map.of() : l;
    }

    /** {@code metadata.annotations}, never null. */
    public Map<String, String> annotations() {
        Map<String, String> a = object.getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    public boolean deleting() {
        return deletionTimestamp != null;
    }
}
