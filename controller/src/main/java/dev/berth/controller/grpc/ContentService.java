package dev.berth.controller.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.berth.api.containerd.services.content.v1.ContentGrpc;
import dev.berth.api.containerd.services.content.v1.DeleteContentRequest;
import dev.berth.api.containerd.services.content.v1.Info;
import dev.berth.api.containerd.services.content.v1.InfoRequest;
import dev.berth.api.containerd.services.content.v1.InfoResponse;
import dev.berth.api.containerd.services.content.v1.ListContentRequest;
import dev.berth.api.containerd.services.content.v1.ListContentResponse;
import dev.berth.api.containerd.services.content.v1.ListStatusesRequest;
import dev.berth.api.containerd.services.content.v1.ListStatusesResponse;
import dev.berth.api.containerd.services.content.v1.ReadContentRequest;
import dev.berth.api.containerd.services.content.v1.ReadContentResponse;
import dev.berth.api.containerd.services.content.v1.Status;
import dev.berth.api.containerd.services.content.v1.StatusRequest;
import dev.berth.api.containerd.services.content.v1.StatusResponse;
import dev.berth.engine.content.ContentFilters;
import dev.berth.engine.content.ContentStore;
import dev.berth.api.containerd.services.content.v1.AbortRequest;
import dev.berth.api.containerd.services.content.v1.UpdateRequest;
import dev.berth.api.containerd.services.content.v1.UpdateResponse;
import dev.berth.api.containerd.services.content.v1.WriteContentRequest;
import dev.berth.api.containerd.services.content.v1.WriteContentResponse;
import dev.berth.engine.leases.LeaseManager;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * containerd's Content service over Berth's content store (node-wide): Info, Update (labels), List,
 * Read, Delete, Status, ListStatuses, Write (the ingest protocol, see {@link ContentWrites}) and
 * Abort. Thread-safe.
 */
final class ContentService extends ContentGrpc.ContentImplBase {
    /** Bytes per Read message (containerd sends 1 MiB chunks; well under the 16 MiB message limit). */
    private static final int CHUNK = 1 << 20;

    /**
     * The largest read answered where the request arrived ({@link CallExecutors}: Read runs on the
     * event loop): a manifest, an index or a config, which clients read many times per command.
     * Anything larger streams from a thread of {@link #LARGE_READS}, so a layer does not hold up the
     * transport.
     */
    static final long INLINE_READ_MAX = 256 << 10;

    private static final java.util.concurrent.ExecutorService LARGE_READS = java.util.concurrent.Executors
            .newCachedThreadPool(r -> {
                Thread t = new Thread(r, "berth-grpc-content-read");
                t.setDaemon(true);
                return t;
            });

    private final ContentStore store;
    private final LeaseManager leases;

    ContentService(ContentStore store, LeaseManager leases) {
        this.store = store;
        this.leases = leases;
    }

    @Override
    public StreamObserver<WriteContentRequest> write(StreamObserver<WriteContentResponse> out) {
        return new ContentWrites(store, leases, out);
    }

    @Override
    public void update(UpdateRequest request, StreamObserver<UpdateResponse> out) {
        Errors.unary(out, () -> {
            var d = Protos.digest(request.getInfo().getDigest(), "info.digest");
            return UpdateResponse.newBuilder().setInfo(toProto(store.update(d, request.getInfo().getLabelsMap(),
                    Set.copyOf(request.getUpdateMask().getPathsList())))).build();
        });
    }

    @Override
    public void abort(AbortRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            store.abort(request.getRef());
            return Empty.getDefaultInstance();
        });
    }

    static Info toProto(dev.berth.engine.content.Info i) {
        return Info.newBuilder().setDigest(i.digest().toString()).setSize(i.size()).setCreatedAt(Protos.time(i.createdAt()))
                .setUpdatedAt(Protos.time(i.updatedAt())).putAllLabels(i.labels()).build();
    }

    static Status toProto(dev.berth.engine.content.Status s) {
        return Status.newBuilder().setRef(s.ref()).setOffset(s.offset()).setTotal(s.total())
                .setStartedAt(Protos.time(s.startedAt())).setUpdatedAt(Protos.time(s.updatedAt())).build();
    }

    @Override
    public void info(InfoRequest request, StreamObserver<InfoResponse> out) {
        Errors.unary(out, () -> InfoResponse.newBuilder()
                .setInfo(toProto(store.info(Protos.digest(request.getDigest(), "digest")))).build());
    }

    @Override
    public void list(ListContentRequest request, StreamObserver<ListContentResponse> out) {
        try {
            Predicate<dev.berth.engine.content.Info> keep = request.getFiltersList().isEmpty() ? ContentFilters.all()
                    : request.getFiltersList().stream().map(ContentFilters::parse).reduce(i -> false, Predicate::or);
            Pages<Info> pages = new Pages<>(p -> out.onNext(ListContentResponse.newBuilder().addAllInfo(p).build()));
            store.walk(keep, i -> pages.accept(toProto(i)));
            pages.flush();
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(Errors.toStatus(e));
        }
    }

    @Override
    public void read(ReadContentRequest request, StreamObserver<ReadContentResponse> out) {
        try {
            var digest = Protos.digest(request.getDigest(), "digest");
            long size = store.info(digest).size();
            long offset = Math.max(0, request.getOffset());
            if (offset > size) {
                throw Errors.invalid("offset %d is past the end of %s (%d bytes)", offset, digest, size);
            }
            long left = request.getSize() > 0 ? Math.min(request.getSize(), size - offset) : size - offset;
            if (left > INLINE_READ_MAX) {
                long from = offset;
                io.grpc.Context ctx = io.grpc.Context.current();
                LARGE_READS.execute(ctx.wrap(() -> stream(request, digest, from, left, out)));
                return;
            }
            stream(request, digest, offset, left, out);
        } catch (RuntimeException e) {
            out.onError(Errors.toStatus(e));
        }
    }

    private void stream(ReadContentRequest request, dev.berth.engine.oci.Digest digest, long offset, long left,
            StreamObserver<ReadContentResponse> out) {
        try {
            try (InputStream in = store.open(digest, offset)) {
                byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(left, 1))];
                while (left > 0) {
                    int n = in.readNBytes(buf, 0, (int) Math.min(buf.length, left));
                    if (n <= 0) {
                        break;
                    }
                    out.onNext(ReadContentResponse.newBuilder().setOffset(offset).setData(ByteString.copyFrom(buf, 0, n)).build());
                    offset += n;
                    left -= n;
                }
            }
            out.onCompleted();
        } catch (IOException e) {
            out.onError(io.grpc.Status.INTERNAL.withDescription("reading " + request.getDigest() + ": " + e.getMessage())
                    .asRuntimeException());
        } catch (RuntimeException e) {
            out.onError(Errors.toStatus(e));
        }
    }

    @Override
    public void delete(DeleteContentRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            var d = Protos.digest(request.getDigest(), "digest");
            store.delete(d);
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
        Errors.unary(out, () -> StatusResponse.newBuilder().setStatus(toProto(store.status(request.getRef()))).build());
    }

    @Override
    public void listStatuses(ListStatusesRequest request, StreamObserver<ListStatusesResponse> out) {
        Errors.unary(out, () -> {
            List<Pattern> refs = new ArrayList<>();
            for (String f : request.getFiltersList()) {
                // ctr sends ref~=<regexp> (or nothing); other fields are not kept for ingests
                String re = f.startsWith("ref~=") ? f.substring(5) : f.startsWith("ref==") ? Pattern.quote(f.substring(5)) : null;
                if (re == null) {
                    throw Errors.invalid("status filter \"%s\": use ref==NAME or ref~=REGEXP", f);
                }
                try {
                    refs.add(Pattern.compile(re.replaceAll("^\"|\"$", "")));
                } catch (PatternSyntaxException e) {
                    throw Errors.invalid("status filter \"%s\": %s", f, e.getDescription());
                }
            }
            var b = ListStatusesResponse.newBuilder();
            store.statuses().stream().filter(s -> refs.isEmpty() || refs.stream().anyMatch(p -> p.matcher(s.ref()).find()))
                    .forEach(s -> b.addStatuses(toProto(s)));
            return b.build();
        });
    }
}
