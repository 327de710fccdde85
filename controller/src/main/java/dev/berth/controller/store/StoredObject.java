package dev.berth.controller.store;

import dev.berth.crd.ObjectRef;
import java.time.Instant;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One spec object as the daemon keeps it: the whole Kubernetes-shaped object (apiVersion, kind,
 * metadata, spec, status) plus the bookkeeping the store owns. {@code metadata.generation} counts
 * spec changes, {@code metadata.resourceVersion} counts every change. Immutable: the JSON is a copy
 * and must not be modified by readers.
 *
 * @param source which source created it (e.g. {@code file:/etc/berth/manifests/web.yaml}, {@code api})
 * @param deletionTimestamp set when deletion was requested; the object stays until cleanup finishes
 */
public record StoredObject(ObjectRef key, String uid, long generation, long resourceVersion, String source,
        ObjectNode object, Instant created, Instant deletionTimestamp) {

    public JsonNode spec() {
        return object.path("spec");
    }

    public JsonNode status() {
        return object.path("status");
    }

    public boolean deleting() {
        return deletionTimestamp != null;
    }
}
