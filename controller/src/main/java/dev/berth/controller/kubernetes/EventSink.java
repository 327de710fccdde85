package dev.berth.controller.kubernetes;

import dev.berth.controller.events.EventRecorder;
import dev.berth.controller.store.ObjectStore;
import dev.berth.crd.Berth;
import dev.berth.crd.ObjectRef;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors the daemon's events (Pulled, Started, BackOff, OOMKilled, Failed…) about objects of
 * source {@value KubeObjects#SOURCE} as core/v1 Events, as kubelet does: one Event per first
 * occurrence, named {@code <object>.<first time in hex nanoseconds>}, updated with the count and
 * last time when the recorder folds a repeat into it. Best effort: an event that cannot be posted
 * (API away) is logged and dropped; the local API still has it. Listener calls return at once; posts
 * happen on {@code poster}. Thread-safe.
 */
final class EventSink implements Consumer<EventRecorder.Event> {
    private static final Logger LOG = LoggerFactory.getLogger(EventSink.class);

    private final KubernetesClient client;
    private final ObjectStore store;
    private final KubernetesSource source;
    private final String nodeName;
    private final ExecutorService poster;

    EventSink(KubernetesClient client, ObjectStore store, KubernetesSource source, String nodeName,
            ExecutorService poster) {
        this.client = client;
        this.store = store;
        this.source = source;
        this.nodeName = nodeName;
        this.poster = poster;
    }

    @Override
    public void accept(EventRecorder.Event e) {
        boolean fromKube = store.get(e.object()).map(s -> KubeObjects.SOURCE.equals(s.source())).orElse(false);
        if (!fromKube) {
            return;
        }
        try {
            poster.execute(() -> post(e));
        } catch (java.util.concurrent.RejectedExecutionException x) {
            LOG.debug("event for {} not mirrored (agent stopping or queue full)", e.object());
        }
    }

    static String eventName(EventRecorder.Event e) {
        long nanos = ChronoUnit.NANOS.between(java.time.Instant.EPOCH, e.firstTime());
        return e.object().name() + "." + Long.toHexString(nanos);
    }

    Event toKube(EventRecorder.Event e) {
        ObjectRef ref = e.object();
        String uid = source.cached(ref).map(o -> o.getMetadata().getUid()).orElse(null);
        return new EventBuilder()
                .withNewMetadata().withName(eventName(e)).withNamespace(ref.namespace()).endMetadata()
                .withNewInvolvedObject().withApiVersion(Berth.API_VERSION).withKind(ref.kind())
                .withNamespace(ref.namespace()).withName(ref.name()).withUid(uid).endInvolvedObject()
                .withType(e.type()).withReason(e.reason()).withMessage(e.message()).withCount(e.count())
                .withFirstTimestamp(e.firstTime().truncatedTo(ChronoUnit.SECONDS).toString())
                .withLastTimestamp(e.lastTime().truncatedTo(ChronoUnit.SECONDS).toString())
                .withNewSource().withComponent("berth").withHost(nodeName).endSource()
                .withReportingComponent("berth.dev/agent").withReportingInstance(nodeName)
                .build();
    }

    private void post(EventRecorder.Event e) {
        try {
            client.v1().events().inNamespace(e.object().namespace()).resource(toKube(e))
                    .createOr(NonDeletingOperation::update);
        } catch (KubernetesClientException x) {
            LOG.warn("cannot post Kubernetes event {} for {}: {}", e.reason(), e.object(), x.getMessage());
        }
    }
}
