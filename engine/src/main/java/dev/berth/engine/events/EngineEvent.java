package dev.berth.engine.events;

import java.util.Map;

/**
 * One thing the engine did, as containerd announces it: a topic ({@code /images/create},
 * {@code /snapshot/commit}, …, containerd's names), the namespace it happened in (null for the
 * node-wide stores when no caller named one: the publisher of the envelope picks), the event's fields
 * by containerd's field names, and labels where containerd's event carries them. Immutable.
 */
public record EngineEvent(String topic, String namespace, Map<String, String> fields, Map<String, String> labels) {
    public static final String IMAGE_CREATE = "/images/create";
    public static final String IMAGE_UPDATE = "/images/update";
    public static final String IMAGE_DELETE = "/images/delete";
    public static final String CONTENT_DELETE = "/content/delete";
    public static final String SNAPSHOT_PREPARE = "/snapshot/prepare";
    public static final String SNAPSHOT_COMMIT = "/snapshot/commit";
    public static final String SNAPSHOT_REMOVE = "/snapshot/remove";
    public static final String CONTAINER_CREATE = "/containers/create";
    public static final String CONTAINER_UPDATE = "/containers/update";
    public static final String CONTAINER_DELETE = "/containers/delete";
    public static final String TASK_CREATE = "/tasks/create";
    public static final String TASK_START = "/tasks/start";
    public static final String TASK_EXIT = "/tasks/exit";
    public static final String TASK_DELETE = "/tasks/delete";
    public static final String TASK_PAUSED = "/tasks/paused";
    public static final String TASK_RESUMED = "/tasks/resumed";
    /** A pod sandbox was created (containerd 1.7+/2.x; field {@code sandbox_id} = the pause container's id). */
    public static final String SANDBOX_CREATE = "/sandboxes/create";
    /** A pod sandbox's pause task runs (field {@code sandbox_id}). */
    public static final String SANDBOX_START = "/sandboxes/start";
    /** A pod sandbox ended (fields {@code sandbox_id}, {@code exit_status}, {@code exited_at}). */
    public static final String SANDBOX_EXIT = "/sandboxes/exit";

    public EngineEvent {
        fields = Map.copyOf(fields);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** The field called {@code name}, or "" as protobuf leaves an unset string. */
    public String field(String name) {
        return fields.getOrDefault(name, "");
    }
}
