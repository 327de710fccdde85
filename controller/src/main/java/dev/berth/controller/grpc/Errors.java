package dev.berth.controller.grpc;

import dev.berth.engine.errdefs.BerthException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/**
 * Maps Berth's error categories to gRPC status codes as containerd's errdefs do (NotFound,
 * AlreadyExists, InvalidArgument, FailedPrecondition, Unavailable, …), so clients such as ctr print
 * and branch on them the same way. Stateless.
 */
final class Errors {
    private Errors() {
    }

    static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof BerthException b) {
            Status code = switch (b.category()) {
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case LOCKED -> Status.UNAVAILABLE;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
                case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
                case NOT_IMPLEMENTED -> Status.UNIMPLEMENTED;
                case INTERNAL -> Status.INTERNAL;
            };
            return code.withDescription(b.getMessage()).asRuntimeException();
        }
        return Status.INTERNAL.withDescription(String.valueOf(t.getMessage())).withCause(t).asRuntimeException();
    }

    /** Runs a unary call: one reply, or the mapped error. */
    static <T> void unary(StreamObserver<T> out, Supplier<T> call) {
        T reply;
        try {
            reply = call.get();
        } catch (RuntimeException e) {
            out.onError(toStatus(e));
            return;
        }
        out.onNext(reply);
        out.onCompleted();
    }

    static StatusRuntimeException invalid(String fmt, Object... args) {
        return Status.INVALID_ARGUMENT.withDescription(String.format(fmt, args)).asRuntimeException();
    }
}
