package dev.berth.controller.grpc;

import dev.berth.api.containerd.services.snapshots.v1.Info;
import dev.berth.api.containerd.services.snapshots.v1.Kind;
import dev.berth.api.containerd.services.snapshots.v1.ListSnapshotsRequest;
import dev.berth.api.containerd.services.snapshots.v1.ListSnapshotsResponse;
import dev.berth.api.containerd.services.snapshots.v1.MountsRequest;
import dev.berth.api.containerd.services.snapshots.v1.MountsResponse;
import dev.berth.api.containerd.services.snapshots.v1.SnapshotsGrpc;
import dev.berth.api.containerd.services.snapshots.v1.StatSnapshotRequest;
import dev.berth.api.containerd.services.snapshots.v1.StatSnapshotResponse;
import dev.berth.api.containerd.services.snapshots.v1.UsageRequest;
import dev.berth.api.containerd.services.snapshots.v1.UsageResponse;
import dev.berth.engine.snapshots.SnapshotInfo;
import dev.berth.engine.snapshots.Snapshotter;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * containerd's Snapshots service over Berth's snapshotters ({@code overlayfs}, {@code native};
 * node-wide). List, Stat, Usage and Mounts; the mutating calls answer UNIMPLEMENTED until
 * client-side unpacks are served. Thread-safe.
 */
final class SnapshotsService extends SnapshotsGrpc.SnapshotsImplBase {
    private static final int PAGE = 100;
    private final Function<String, Snapshotter> snapshotters;
    private final String defaultName;

    SnapshotsService(Function<String, Snapshotter> snapshotters, String defaultName) {
        this.snapshotters = snapshotters;
        this.defaultName = defaultName;
    }

    private Snapshotter get(String name) {
        return snapshotters.apply(name.isEmpty() ? defaultName : name);
    }

    static Info toProto(SnapshotInfo s) {
        Kind k = switch (s.kind()) {
            case ACTIVE -> Kind.ACTIVE;
            case VIEW -> Kind.VIEW;
            case COMMITTED -> Kind.COMMITTED;
        };
        return Info.newBuilder().setName(s.name()).setParent(Protos.nz(s.parent())).setKind(k)
                .setCreatedAt(Protos.time(s.created())).setUpdatedAt(Protos.time(s.updated())).putAllLabels(s.labels()).build();
    }

    @Override
    public void list(ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> out) {
        try {
            Snapshotter sn = get(request.getSnapshotter());
            var keep = Filters.<SnapshotInfo>parse(request.getFiltersList(), s -> {
                Map<String, String> f = new HashMap<>();
                f.put("name", s.name());
                f.put("kind", s.kind().name().toLowerCase(java.util.Locale.ROOT));
                if (s.parent() != null) {
                    f.put("parent", s.parent());
                }
                return new Filters.Target(f, s.labels());
            });
            List<Info> page = new ArrayList<>();
            sn.walk(s -> {
                if (keep.test(s)) {
                    page.add(toProto(s));
                    if (page.size() == PAGE) {
                        out.onNext(ListSnapshotsResponse.newBuilder().addAllInfo(page).build());
                        page.clear();
                    }
                }
            });
            if (!page.isEmpty()) {
                out.onNext(ListSnapshotsResponse.newBuilder().addAllInfo(page).build());
            }
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(Errors.toStatus(e));
        }
    }

    @Override
    public void stat(StatSnapshotRequest request, StreamObserver<StatSnapshotResponse> out) {
        Errors.unary(out, () -> StatSnapshotResponse.newBuilder()
                .setInfo(toProto(get(request.getSnapshotter()).stat(request.getKey()))).build());
    }

    @Override
    public void usage(UsageRequest request, StreamObserver<UsageResponse> out) {
        Errors.unary(out, () -> {
            var u = get(request.getSnapshotter()).usage(request.getKey());
            return UsageResponse.newBuilder().setSize(u.size()).setInodes(u.inodes()).build();
        });
    }

    @Override
    public void mounts(MountsRequest request, StreamObserver<MountsResponse> out) {
        Errors.unary(out, () -> MountsResponse.newBuilder()
                .addAllMounts(Protos.mounts(get(request.getSnapshotter()).mounts(request.getKey()))).build());
    }
}
