package dev.berth.controller.grpc;

import com.google.protobuf.Empty;
import dev.berth.api.containerd.services.leases.v1.AddResourceRequest;
import dev.berth.api.containerd.services.leases.v1.CreateRequest;
import dev.berth.api.containerd.services.leases.v1.CreateResponse;
import dev.berth.api.containerd.services.leases.v1.DeleteRequest;
import dev.berth.api.containerd.services.leases.v1.DeleteResourceRequest;
import dev.berth.api.containerd.services.leases.v1.Lease;
import dev.berth.api.containerd.services.leases.v1.LeasesGrpc;
import dev.berth.api.containerd.services.leases.v1.ListRequest;
import dev.berth.api.containerd.services.leases.v1.ListResourcesRequest;
import dev.berth.api.containerd.services.leases.v1.ListResourcesResponse;
import dev.berth.api.containerd.services.leases.v1.ListResponse;
import dev.berth.api.containerd.services.leases.v1.Resource;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.UUID;

/**
 * containerd's Leases service over Berth's leases (node-wide): what a client such as ctr holds while
 * it pulls or unpacks, so that garbage collection keeps it. Thread-safe.
 */
final class LeasesService extends LeasesGrpc.LeasesImplBase {
    private final LeaseManager leases;

    LeasesService(LeaseManager leases) {
        this.leases = leases;
    }

    static Lease toProto(dev.berth.engine.leases.Lease l) {
        return Lease.newBuilder().setId(l.id()).setCreatedAt(Protos.time(l.createdAt())).putAllLabels(l.labels()).build();
    }

    /** Adds {@code r} to the lease the current call names, if any (containerd's lease header). */
    static void addToCallLease(LeaseManager leases, LeaseResource r) {
        String lease = Namespaces.lease();
        if (lease != null) {
            leases.addResource(lease, r);
        }
    }

    @Override
    public void create(CreateRequest request, StreamObserver<CreateResponse> out) {
        Errors.unary(out, () -> {
            String id = request.getId().isEmpty() ? UUID.randomUUID().toString() : request.getId();
            return CreateResponse.newBuilder().setLease(toProto(leases.create(id, request.getLabelsMap()))).build();
        });
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            leases.delete(request.getId());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void list(ListRequest request, StreamObserver<ListResponse> out) {
        Errors.unary(out, () -> {
            var keep = Filters.<dev.berth.engine.leases.Lease>parse(request.getFiltersList(),
                    l -> new Filters.Target(Map.of("id", l.id()), l.labels()));
            var b = ListResponse.newBuilder();
            leases.list().stream().filter(keep).forEach(l -> b.addLeases(toProto(l)));
            return b.build();
        });
    }

    @Override
    public void addResource(AddResourceRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            leases.addResource(request.getId(), resource(request.getResource()));
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void deleteResource(DeleteResourceRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            leases.deleteResource(request.getId(), resource(request.getResource()));
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void listResources(ListResourcesRequest request, StreamObserver<ListResourcesResponse> out) {
        Errors.unary(out, () -> {
            var b = ListResourcesResponse.newBuilder();
            leases.resources(request.getId()).forEach(r -> b.addResources(Resource.newBuilder().setId(r.id()).setType(r.type())));
            return b.build();
        });
    }

    private static LeaseResource resource(Resource r) {
        return new LeaseResource(r.getType(), r.getId());
    }
}
