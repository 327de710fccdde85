package dev.berth.controller.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import dev.berth.api.containerd.services.events.v1.Envelope;
import dev.berth.api.containerd.services.events.v1.EventsGrpc;
import dev.berth.api.containerd.services.events.v1.PublishRequest;
import dev.berth.api.containerd.services.events.v1.SubscribeRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * containerd's event stream: envelopes with a topic ({@code /tasks/exit}, {@code /images/delete}, …)
 * and a {@code containerd.events.*} payload packed in an Any whose type URL is the message's full
 * name, as containerd's typeurl registry writes it. Sources publish here (the runtime's task exits,
 * the gRPC services' own actions); {@code Subscribe} streams them to clients until they cancel.
 * Publishing never blocks on a slow subscriber beyond gRPC's own buffering. Thread-safe.
 */
final class Events extends EventsGrpc.EventsImplBase {
    private final Clock clock;
    private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    private record Subscriber(ServerCallStreamObserver<Envelope> out, Predicate<Envelope> filter) {
    }

    Events(Clock clock) {
        this.clock = clock;
    }

    /** Publishes in the namespace of the current call. */
    void publish(String topic, Message event) {
        publish(Namespaces.current() == null ? InspectServices.DEFAULT_NAMESPACE : Namespaces.current(), topic, event);
    }

    void publish(String namespace, String topic, Message event) {
        if (subscribers.isEmpty()) {
            return;
        }
        deliver(namespace, topic, Any.newBuilder().setTypeUrl(event.getDescriptorForType().getFullName())
                .setValue(event.toByteString()).build());
    }

    private void deliver(String namespace, String topic, Any event) {
        Envelope e = Envelope.newBuilder().setTimestamp(Protos.time(clock.instant())).setNamespace(namespace).setTopic(topic)
                .setEvent(event).build();
        for (Subscriber s : subscribers) {
            if (s.filter().test(e)) {
                synchronized (s) {
                    if (!s.out().isCancelled()) {
                        s.out().onNext(e);
                    }
                }
            }
        }
    }

    int subscriberCount() {
        return subscribers.size();
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<Envelope> out) {
        Predicate<Envelope> filter;
        try {
            filter = Filters.parse(request.getFiltersList(), (Envelope e) -> new Filters.Target(
                    Map.of("topic", e.getTopic(), "namespace", e.getNamespace()), Map.of()));
        } catch (RuntimeException ex) {
            out.onError(Errors.toStatus(ex));
            return;
        }
        ServerCallStreamObserver<Envelope> call = (ServerCallStreamObserver<Envelope>) out;
        Subscriber s = new Subscriber(call, filter);
        call.setOnCancelHandler(() -> subscribers.remove(s));
        subscribers.add(s);
    }

    @Override
    public void publish(PublishRequest request, StreamObserver<Empty> out) {
        Errors.unary(out, () -> {
            if (!request.getTopic().startsWith("/")) {
                throw Errors.invalid("topic \"%s\" must start with '/'", request.getTopic());
            }
            String ns = Namespaces.current();
            if (ns == null) {
                throw Status.FAILED_PRECONDITION.withDescription("namespace is required to publish").asRuntimeException();
            }
            deliver(ns, request.getTopic(), request.getEvent());
            return Empty.getDefaultInstance();
        });
    }

    /** Ends every subscription (server shutdown). */
    void closeAll() {
        for (Subscriber s : subscribers) {
            synchronized (s) {
                if (!s.out().isCancelled()) {
                    s.out().onCompleted();
                }
            }
        }
        subscribers.clear();
    }
}
