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
import com.google.protobuf.Empty;
import dev.berth.api.containerd.services.snapshots.v1.CommitSnapshotRequest;
import dev.berth.api.containerd.services.snapshots.v1.PrepareSnapshotRequest;
import dev.berth.api.containerd.services.snapshots.v1.PrepareSnapshotResponse;
import dev.berth.api.containerd.services.snapshots.v1.RemoveSnapshotRequest;
import dev.berth.api.containerd.services.snapshots.v1.UpdateSnapshotRequest;
import dev.berth.api.containerd.services.snapshots.v1.UpdateSnapshotResponse;
import dev.berth.api.containerd.services.snapshots.v1.ViewSnapshotRequest;
import dev.berth.api.containerd.services.snapshots.v1.ViewSnapshotResponse;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * containerd's Snapshots service over Berth's snapshotters ({@code overlayfs}, {@code native};
 * node-wide): Prepare, View, Mounts, Commit, Remove, Stat, Update (labels), List and Usage, as
 * ctr unpacks through them; what a call makes joins the lease it names. Thread-safe.
 */
final class SnapshotsService extends SnapshotsGrpc.SnapshotsImplBase {
    private final Function<String, Snapshotter> snapshotters;
    private final String defaultName;
    private final LeaseManager leases;

    SnapshotsService(Function<String, Snapshotter> snapshotters, String defaultName, LeaseManager leases) {
        this.snapshotters = snapshotters;
        this.defaultName = defaultName;
        this.leases = leases;
    }

    private String name(String requested) {
        return requested.isEmpty() ? defaultName : requested;
    }

    @Override
    public void prepare(PrepareSnapshotRequest r, StreamObserver<PrepareSnapshotResponse> out) {
        Errors.unary(out, () -> {
            Snapshotter sn = get(r.getSnapshotter());
            LeasesService.addToCallLease(leases, LeaseResource.snapshot(sn.name(), r.getKey()));
            var mounts = sn.prepare(r.getKey(), r.getParent().isEmpty() ? null : r.getParent(), r.getLabelsMap());
            return PrepareSnapshotResponse.newBuilder().addAllMounts(Protos.mounts(mounts)).build();
        });
    }

    @Override
    public void view(ViewSnapshotRequest r, StreamObserver<ViewSnapshotResponse> out) {
        Errors.unary(out, () -> {
            Snapshotter sn = get(r.getSnapshotter());
            LeasesService.addToCallLease(leases, LeaseResource.snapshot(sn.name(), r.getKey()));
            var mounts = sn.view(r.getKey(), r.getParent().isEmpty() ? null : r.getParent(), r.getLabelsMap());
            return ViewSnapshotResponse.newBuilder().addAllMounts(Protos.mounts(mounts)).build();
        });
    }

    @Override
    public void commit(CommitSnapshotRequest r, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            Snapshotter sn = get(r.getSnapshotter());
            LeasesService.addToCallLease(leases, LeaseResource.snapshot(sn.name(), r.getName()));
            sn.commit(r.getName(), r.getKey(), r.getLabelsMap());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void remove(RemoveSnapshotRequest r, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            get(r.getSnapshotter()).remove(r.getKey());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void update(UpdateSnapshotRequest r, StreamObserver<UpdateSnapshotResponse> out) {
        Errors.unary(out, () -> {
            for (String p : r.getUpdateMask().getPathsList()) {
                if (!p.equals("labels") && !p.startsWith("labels.")) {
                    throw Errors.invalid("snapshot %s: field %s cannot be updated (only labels and labels.<key>)",
                            r.getInfo().getName(), p);
                }
            }
            Snapshotter sn = get(r.getSnapshotter());
            Map<String, String> labels = new HashMap<>(sn.stat(r.getInfo().getName()).labels());
            List<String> paths = r.getUpdateMask().getPathsList();
            if (paths.isEmpty() || paths.contains("labels")) {
                labels = new HashMap<>(r.getInfo().getLabelsMap());
            } else {
                for (String p : paths) {
                    String key = p.substring("labels.".length());
                    String v = r.getInfo().getLabelsMap().get(key);
                    if (v == null) {
                        labels.remove(key);
                    } else {
                        labels.put(key, v);
                    }
                }
            }
            return UpdateSnapshotResponse.newBuilder().setInfo(toProto(sn.updateLabels(r.getInfo().getName(), labels))).build();
        });
    }

    private Snapshotter get(String name) {
        return snapshotters.apply(name(name));
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
            Pages<Info> pages = new Pages<>(p -> out.onNext(ListSnapshotsResponse.newBuilder().addAllInfo(p).build()));
            sn.walk(s -> {
                if (keep.test(s)) {
                    pages.accept(toProto(s));
                }
            });
            pages.flush();
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
