package dev.berth.controller.grpc;

import dev.berth.api.containerd.services.diff.v1.ApplyRequest;
import dev.berth.api.containerd.services.diff.v1.ApplyResponse;
import dev.berth.api.containerd.services.diff.v1.DiffGrpc;
import dev.berth.api.containerd.services.diff.v1.DiffRequest;
import dev.berth.api.containerd.services.diff.v1.DiffResponse;
import dev.berth.api.containerd.types.Descriptor;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.diff.AppliedLayer;
import dev.berth.engine.diff.Applier;
import dev.berth.engine.diff.WalkingDiffer;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.mount.Mount;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * containerd's Diff service, apply side: a layer blob from the content store applied onto the
 * mounts a client got from Snapshots/Prepare (how ctr 1.6 unpacks), with the same applier and
 * safety rules as Berth's own unpack. Replies with the uncompressed digest (the diff_id). Diff side
 * ({@code ctr snapshots diff}): the layer between two snapshots' mounts, by containerd's walking
 * differ rules, stored in the content store (and in the call's lease). Thread-safe.
 */
final class DiffService extends DiffGrpc.DiffImplBase {
    /** The media type of an uncompressed layer, as containerd's applier reports it. */
    static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";

    private final ContentStore content;
    private final Applier applier;
    private final WalkingDiffer differ;
    private final LeaseManager leases;

    DiffService(ContentStore content, Applier applier, WalkingDiffer differ, LeaseManager leases) {
        this.content = content;
        this.applier = applier;
        this.differ = differ;
        this.leases = leases;
    }

    @Override
    public void diff(DiffRequest request, StreamObserver<DiffResponse> out) {
        Errors.unary(out, () -> {
            if (request.getRightCount() == 0) {
                throw Errors.invalid("right: the upper snapshot's mounts are required (from Snapshots/Mounts or View)");
            }
            var d = differ.compare(Protos.engineMounts(request.getLeftList()), Protos.engineMounts(request.getRightList()), request.getMediaType(),
                    request.getRef(), request.getLabelsMap());
            LeasesService.addToCallLease(leases, LeaseResource.content(d.digest()));
            return DiffResponse.newBuilder().setDiff(Protos.descriptor(d)).build();
        });
    }

    @Override
    public void apply(ApplyRequest request, StreamObserver<ApplyResponse> out) {
        Errors.unary(out, () -> {
            if (!request.hasDiff()) {
                throw Errors.invalid("diff: the layer descriptor is required");
            }
            if (request.getMountsCount() == 0) {
                throw Errors.invalid("mounts: the snapshot's mounts are required (from Snapshots/Prepare)");
            }
            var layer = Protos.descriptor(request.getDiff());
            List<Mount> mounts = Protos.engineMounts(request.getMountsList());
            AppliedLayer applied;
            try (InputStream in = content.open(layer.digest())) {
                applied = applier.apply(layer, in, mounts);
            } catch (IOException e) {
                throw io.grpc.Status.INTERNAL.withDescription("reading layer " + layer.digest() + ": " + e.getMessage())
                        .asRuntimeException();
            }
            return ApplyResponse.newBuilder().setApplied(Descriptor.newBuilder().setMediaType(LAYER_TAR)
                    .setDigest(applied.diffId().toString()).setSize(applied.uncompressedSize())).build();
        });
    }
}
