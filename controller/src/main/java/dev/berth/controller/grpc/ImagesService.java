package dev.berth.controller.grpc;

import com.google.protobuf.Empty;
import dev.berth.api.containerd.services.images.v1.DeleteImageRequest;
import dev.berth.api.containerd.services.images.v1.GetImageRequest;
import dev.berth.api.containerd.services.images.v1.GetImageResponse;
import dev.berth.api.containerd.services.images.v1.Image;
import dev.berth.api.containerd.services.images.v1.ImagesGrpc;
import dev.berth.api.containerd.services.images.v1.ListImagesRequest;
import dev.berth.api.containerd.services.images.v1.ListImagesResponse;
import dev.berth.engine.images.ImageStore;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/**
 * containerd's Images service over Berth's image records (node-wide: every namespace sees the same
 * images). Get, List and Delete; Create and Update answer UNIMPLEMENTED until client-side pulls are
 * served. Thread-safe.
 */
final class ImagesService extends ImagesGrpc.ImagesImplBase {
    private final ImageStore images;
    private final Events events;

    ImagesService(ImageStore images, Events events) {
        this.images = images;
        this.events = events;
    }

    static Image toProto(dev.berth.engine.images.Image i) {
        return Image.newBuilder().setName(i.name()).putAllLabels(i.labels()).setTarget(Protos.descriptor(i.target()))
                .setCreatedAt(Protos.time(i.createdAt())).setUpdatedAt(Protos.time(i.updatedAt())).build();
    }

    @Override
    public void get(GetImageRequest request, StreamObserver<GetImageResponse> out) {
        Errors.unary(out, () -> GetImageResponse.newBuilder().setImage(toProto(images.get(request.getName()))).build());
    }

    @Override
    public void list(ListImagesRequest request, StreamObserver<ListImagesResponse> out) {
        Errors.unary(out, () -> {
            var keep = Filters.<dev.berth.engine.images.Image>parse(request.getFiltersList(), i -> new Filters.Target(
                    Map.of("name", i.name(), "target.digest", i.target().digest().toString(),
                            "target.mediatype", Protos.nz(i.target().mediaType())), i.labels()));
            var b = ListImagesResponse.newBuilder();
            images.list(keep).forEach(i -> b.addImages(toProto(i)));
            return b.build();
        });
    }

    @Override
    public void delete(DeleteImageRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            images.delete(request.getName());
            events.publish("/images/delete", dev.berth.api.containerd.services.images.v1.ImageDelete.newBuilder()
                    .setName(request.getName()).build());
            return Empty.getDefaultInstance();
        });
    }
}
