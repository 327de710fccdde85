package dev.berth.controller.grpc;

import dev.berth.api.containerd.services.content.v1.WriteAction;
import dev.berth.api.containerd.services.content.v1.WriteContentRequest;
import dev.berth.api.containerd.services.content.v1.WriteContentResponse;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.content.ContentWriter;
import dev.berth.engine.leases.LeaseManager;
import dev.berth.engine.leases.LeaseResource;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.Digest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * One {@code Content/Write} stream, containerd's ingest protocol: the first message names the ref
 * (and may carry the expected digest and total); STAT answers with the ingest's state while the
 * stream holds it; WRITE appends data at the ingest's offset (offset 0 restarts it); COMMIT verifies
 * size and digest and moves the blob into the store with its labels, ending the stream. An expected
 * digest already stored answers ALREADY_EXISTS, which clients take as "done". The ingest (and the
 * committed blob) join the lease the call names. Not thread-safe: gRPC delivers one message at a time.
 */
final class ContentWrites implements StreamObserver<WriteContentRequest> {
    private final ContentStore store;
    private final LeaseManager leases;
    private final StreamObserver<WriteContentResponse> out;
    private final String lease;
    private ContentWriter writer;
    private boolean done;

    ContentWrites(ContentStore store, LeaseManager leases, StreamObserver<WriteContentResponse> out) {
        this.store = store;
        this.leases = leases;
        this.out = out;
        this.lease = Namespaces.lease();
    }

    @Override
    public void onNext(WriteContentRequest req) {
        if (done) {
            return;
        }
        try {
            if (writer == null) {
                open(req);
            }
            switch (req.getAction()) {
                case STAT -> out.onNext(state(WriteAction.STAT).build());
                case WRITE -> {
                    write(req);
                    out.onNext(WriteContentResponse.newBuilder().setAction(WriteAction.WRITE).setOffset(writer.offset()).build());
                }
                case COMMIT -> {
                    write(req);
                    long total = req.getTotal() > 0 ? req.getTotal() : writer.offset();
                    Digest expected = req.getExpected().isEmpty() ? null : Protos.digest(req.getExpected(), "expected");
                    var st = state(WriteAction.COMMIT);
                    Digest d = writer.commit(total, expected, req.getLabelsMap());
                    if (lease != null) {
                        leases.addResource(lease, LeaseResource.content(d));
                    }
                    out.onNext(st.setOffset(total).setTotal(total).setDigest(d.toString()).build());
                    finish();
                    out.onCompleted();
                }
                default -> throw Errors.invalid("write action %s is unknown (STAT, WRITE or COMMIT)", req.getActionValue());
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void open(WriteContentRequest req) {
        if (req.getRef().isEmpty()) {
            throw Errors.invalid("the first Write message must name the ingest ref");
        }
        Descriptor expected = null;
        if (!req.getExpected().isEmpty()) {
            Digest d = Protos.digest(req.getExpected(), "expected");
            if (store.exists(d)) {
                throw Status.ALREADY_EXISTS.withDescription("content " + d + ": already exists").asRuntimeException();
            }
            expected = Descriptor.of("application/octet-stream", d, req.getTotal());
        }
        if (lease != null) {
            leases.addResource(lease, LeaseResource.ingest(req.getRef()));
        }
        writer = store.writer(req.getRef(), expected);
    }

    private void write(WriteContentRequest req) {
        if (req.getData().isEmpty()) {
            return;
        }
        long at = req.getOffset();
        if (at == 0 && writer.offset() > 0) {
            writer.truncate(0);
        } else if (at != writer.offset()) {
            throw Status.OUT_OF_RANGE.withDescription("write of " + req.getRef() + " at offset " + at
                    + " but the ingest holds " + writer.offset() + " bytes: write at that offset or at 0")
                    .asRuntimeException();
        }
        writer.write(req.getData().asReadOnlyByteBuffer());
    }

    private WriteContentResponse.Builder state(WriteAction action) {
        var s = writer.status();
        return WriteContentResponse.newBuilder().setAction(action).setStartedAt(Protos.time(s.startedAt()))
                .setUpdatedAt(Protos.time(s.updatedAt())).setOffset(s.offset()).setTotal(s.total());
    }

    private void fail(RuntimeException e) {
        finish();
        out.onError(Errors.toStatus(e));
    }

    private void finish() {
        done = true;
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    @Override
    public void onError(Throwable t) {
        // the client went away: the ingest stays for a later resume (or the stale-ingest cleanup)
        finish();
    }

    @Override
    public void onCompleted() {
        if (!done) {
            finish();
            out.onCompleted();
        }
    }
}
