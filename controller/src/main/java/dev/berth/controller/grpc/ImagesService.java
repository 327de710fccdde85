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
import dev.berth.api.containerd.services.images.v1.CreateImageRequest;
import dev.berth.api.containerd.services.images.v1.CreateImageResponse;
import dev.berth.api.containerd.services.images.v1.UpdateImageRequest;
import dev.berth.api.containerd.services.images.v1.UpdateImageResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Set;

/**
 * containerd's Images service over Berth's image records (node-wide: every namespace sees the same
 * images): Get, List, Create, Update and Delete, each publishing containerd's image event.
 * Thread-safe.
 */
final class ImagesService extends ImagesGrpc.ImagesImplBase {
    private final ImageStore images;

    ImagesService(ImageStore images) {
        this.images = images;
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

    private static dev.berth.engine.images.Image fromProto(Image i) {
        if (i.getName().isEmpty()) {
            throw Errors.invalid("image.name is required");
        }
        var target = i.hasTarget() ? Protos.descriptor(i.getTarget()) : null;
        return dev.berth.engine.images.Image.of(i.getName(), target).withLabels(i.getLabelsMap());
    }

    @Override
    public void create(CreateImageRequest request, StreamObserver<CreateImageResponse> out) {
        Errors.unary(out, () -> {
            var created = images.create(fromProto(request.getImage()));
            return CreateImageResponse.newBuilder().setImage(toProto(created)).build();
        });
    }

    @Override
    public void update(UpdateImageRequest request, StreamObserver<UpdateImageResponse> out) {
        Errors.unary(out, () -> {
            Image given = request.getImage();
            var current = images.get(given.getName());
            var next = given.hasTarget() ? Protos.descriptor(given.getTarget()) : current.target();
            var updated = images.update(new dev.berth.engine.images.Image(given.getName(), next, given.getLabelsMap(),
                    current.createdAt(), current.updatedAt()), Set.copyOf(request.getUpdateMask().getPathsList()));
            return UpdateImageResponse.newBuilder().setImage(toProto(updated)).build();
        });
    }

    @Override
    public void delete(DeleteImageRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            images.delete(request.getName());
            return Empty.getDefaultInstance();
        });
    }
}
