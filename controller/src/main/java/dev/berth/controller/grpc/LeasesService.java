package dev.berth.controller.grpc;

import dev.berth.api.containerd.services.leases.v1.Lease;
import dev.berth.api.containerd.services.leases.v1.LeasesGrpc;
import dev.berth.api.containerd.services.leases.v1.ListRequest;
import dev.berth.api.containerd.services.leases.v1.ListResponse;
import dev.berth.engine.leases.LeaseManager;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/** containerd's Leases service over Berth's leases (node-wide): List. Thread-safe. */
final class LeasesService extends LeasesGrpc.LeasesImplBase {
    private final LeaseManager leases;

    LeasesService(LeaseManager leases) {
        this.leases = leases;
    }

    @Override
    public void list(ListRequest request, StreamObserver<ListResponse> out) {
        Errors.unary(out, () -> {
            var keep = Filters.<dev.berth.engine.leases.Lease>parse(request.getFiltersList(),
                    l -> new Filters.Target(Map.of("id", l.id()), l.labels()));
            var b = ListResponse.newBuilder();
            leases.list().stream().filter(keep).forEach(l -> b.addLeases(Lease.newBuilder().setId(l.id())
                    .setCreatedAt(Protos.time(l.createdAt())).putAllLabels(l.labels())));
            return b.build();
        });
    }
}
