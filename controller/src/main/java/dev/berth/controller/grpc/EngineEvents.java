package dev.berth.controller.grpc;

import com.google.protobuf.Message;
import dev.berth.api.containerd.events.ContainerCreate;
import dev.berth.api.containerd.events.ContainerDelete;
import dev.berth.api.containerd.events.ContainerUpdate;
import dev.berth.api.containerd.events.ContentDelete;
import dev.berth.api.containerd.events.SandboxCreate;
import dev.berth.api.containerd.events.SandboxExit;
import dev.berth.api.containerd.events.SandboxStart;
import dev.berth.api.containerd.events.TaskCreate;
import dev.berth.api.containerd.events.TaskDelete;
import dev.berth.api.containerd.events.TaskExit;
import dev.berth.api.containerd.events.TaskStart;
import dev.berth.api.containerd.events.SnapshotCommit;
import dev.berth.api.containerd.events.SnapshotPrepare;
import dev.berth.api.containerd.events.SnapshotRemove;
import dev.berth.api.containerd.services.images.v1.ImageCreate;
import dev.berth.api.containerd.services.images.v1.ImageDelete;
import dev.berth.api.containerd.services.images.v1.ImageUpdate;
import dev.berth.engine.events.EngineEvent;
import java.time.Instant;

/**
 * The engine's events as containerd's {@code containerd.events.*} payloads. Whatever did the thing (a
 * reconciler, the CLI through the daemon, a gRPC client) the envelope is the same, as containerd's
 * clients all go through its services. The namespace of node-wide stores' events is the one the
 * engine was acting for, else the current gRPC call's, else {@code default}. Stateless.
 */
final class EngineEvents {
    private EngineEvents() {
    }

    static void publish(Events events, EngineEvent e) {
        Message m = payload(e);
        if (m == null) {
            return; // a topic containerd has no payload for here: not sent
        }
        String ns = e.namespace() != null ? e.namespace()
                : Namespaces.current() != null ? Namespaces.current() : InspectServices.DEFAULT_NAMESPACE;
        events.publish(ns, e.topic(), m);
    }

    /** A numeric field as protobuf's uint32 (0 when unset, as protobuf leaves it). */
    private static int uint(EngineEvent e, String name) {
        String v = e.field(name);
        return v.isEmpty() ? 0 : (int) Long.parseLong(v);
    }

    static Message payload(EngineEvent e) {
        return switch (e.topic()) {
            case EngineEvent.IMAGE_CREATE -> ImageCreate.newBuilder().setName(e.field("name")).putAllLabels(e.labels()).build();
            case EngineEvent.IMAGE_UPDATE -> ImageUpdate.newBuilder().setName(e.field("name")).putAllLabels(e.labels()).build();
            case EngineEvent.IMAGE_DELETE -> ImageDelete.newBuilder().setName(e.field("name")).build();
            case EngineEvent.CONTENT_DELETE -> ContentDelete.newBuilder().setDigest(e.field("digest")).build();
            case EngineEvent.SNAPSHOT_PREPARE -> SnapshotPrepare.newBuilder().setKey(e.field("key"))
                    .setParent(e.field("parent")).build();
            case EngineEvent.SNAPSHOT_COMMIT -> SnapshotCommit.newBuilder().setKey(e.field("key")).setName(e.field("name"))
                    .build();
            case EngineEvent.SNAPSHOT_REMOVE -> SnapshotRemove.newBuilder().setKey(e.field("key")).build();
            case EngineEvent.CONTAINER_CREATE -> ContainerCreate.newBuilder().setId(e.field("id")).setImage(e.field("image"))
                    .setRuntime(ContainerCreate.Runtime.newBuilder().setName(e.field("runtime"))).build();
            case EngineEvent.CONTAINER_UPDATE -> ContainerUpdate.newBuilder().setId(e.field("id")).setImage(e.field("image"))
                    .putAllLabels(e.labels()).setSnapshotKey(e.field("snapshot_key")).build();
            case EngineEvent.CONTAINER_DELETE -> ContainerDelete.newBuilder().setId(e.field("id")).build();
            case EngineEvent.TASK_CREATE -> TaskCreate.newBuilder().setContainerId(e.field("container_id"))
                    .setBundle(e.field("bundle")).setPid(uint(e, "pid")).build();
            case EngineEvent.TASK_START -> TaskStart.newBuilder().setContainerId(e.field("container_id"))
                    .setPid(uint(e, "pid")).build();
            case EngineEvent.TASK_DELETE -> {
                TaskDelete.Builder b = TaskDelete.newBuilder().setContainerId(e.field("container_id")).setId(e.field("id"))
                        .setPid(uint(e, "pid")).setExitStatus(uint(e, "exit_status"));
                if (!e.field("exited_at").isEmpty()) {
                    b.setExitedAt(Protos.time(Instant.parse(e.field("exited_at"))));
                }
                yield b.build();
            }
            case EngineEvent.TASK_EXIT -> TaskExit.newBuilder().setContainerId(e.field("container_id")).setId(e.field("id"))
                    .setPid(uint(e, "pid")).setExitStatus(uint(e, "exit_status"))
                    .setExitedAt(Protos.time(Instant.parse(e.field("exited_at")))).build();
            // containerd 1.7+/2.x sandbox topics; ctr 1.6 does not know these types and skips them
            case EngineEvent.SANDBOX_CREATE -> SandboxCreate.newBuilder().setSandboxId(e.field("sandbox_id")).build();
            case EngineEvent.SANDBOX_START -> SandboxStart.newBuilder().setSandboxId(e.field("sandbox_id")).build();
            case EngineEvent.SANDBOX_EXIT -> SandboxExit.newBuilder().setSandboxId(e.field("sandbox_id"))
                    .setExitStatus(uint(e, "exit_status")).setExitedAt(Protos.time(Instant.parse(e.field("exited_at"))))
                    .build();
            default -> null;
        };
    }
}
