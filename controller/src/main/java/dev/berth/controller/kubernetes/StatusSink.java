package dev.berth.controller.kubernetes;

import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Writes the status the reconcilers keep in the ObjectStore to the Kubernetes status subresource,
 * for objects of source {@value KubeObjects#SOURCE}. Changes are coalesced (a burst of writes to one
 * object becomes one request with the last status), skipped when the API already shows that status,
 * retried with backoff while the API is unreachable, and re-read on a 409 conflict.
 * {@code observedGeneration} is translated to the API object's generation. Store events are taken
 * on any thread; the writes happen on the worker thread. Thread-safe.
 */
final class StatusSink implements Consumer<ObjectStore.Event> {
    private static final Logger LOG = LoggerFactory.getLogger(StatusSink.class);
    static final Duration COALESCE = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final int CONFLICT_RETRIES = 5;

    private final KubernetesClient client;
    private final ObjectStore store;
    private final KubeObjects objects;
    private final KubernetesSource source;
    private final ScheduledExecutorService worker;
    private final Set<ObjectRef> pending = new LinkedHashSet<>();
    private boolean scheduled;
    private Duration backoff = Duration.ZERO;

    StatusSink(KubernetesClient client, ObjectStore store, KubeObjects objects, KubernetesSource source,
            ScheduledExecutorService worker) {
        this.client = client;
        this.store = store;
        this.objects = objects;
        this.source = source;
        this.worker = worker;
    }

    @Override
    public void accept(ObjectStore.Event e) {
        if (!KubeObjects.SOURCE.equals(e.object().source())) {
            return;
        }
        ObjectRef ref = e.object().key();
        try {
            if (e.change() == ObjectStore.Change.DELETED) {
                worker.execute(() -> finishDeletion(ref));
            } else {
                nudge(ref);
            }
        } catch (RejectedExecutionException x) {
            LOG.debug("agent stopping; {} is caught up when it leads again", ref);
        }
    }

    private void finishDeletion(ObjectRef ref) {
        try {
            source.afterLocalRemoval(ref);
        } catch (RuntimeException x) {
            // the informer's next event for the terminating object retries the removal
            LOG.warn("{}: finishing the Kubernetes deletion failed: {}", ref, x.toString());
        }
    }

    /** Schedules a status comparison (and write when needed) for {@code ref}. */
    void nudge(ObjectRef ref) {
        synchronized (pending) {
            pending.add(ref);
            if (!scheduled) {
                worker.schedule(this::flush, COALESCE.toMillis(), TimeUnit.MILLISECONDS);
                scheduled = true;
            }
        }
    }

    private void flush() {
        Set<ObjectRef> batch;
        synchronized (pending) {
            batch = new LinkedHashSet<>(pending);
            pending.clear();
        }
        Set<ObjectRef> failed = new LinkedHashSet<>();
        for (ObjectRef ref : batch) {
            try {
                write(ref);
            } catch (RuntimeException e) {
                failed.add(ref);
                if (backoff.isZero()) {
                    LOG.warn("{}: writing status to Kubernetes failed (will retry): {}", ref, e.getMessage());
                }
            }
        }
        synchronized (pending) {
            pending.addAll(failed);
            backoff = failed.isEmpty() ? Duration.ZERO
                    : min(MAX_BACKOFF, backoff.isZero() ? Duration.ofSeconds(1) : backoff.multipliedBy(2));
            if (pending.isEmpty()) {
                scheduled = false;
            } else {
                worker.schedule(this::flush, Math.max(COALESCE.toMillis(), backoff.toMillis()), TimeUnit.MILLISECONDS);
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @SuppressWarnings("rawtypes")
    private void write(ObjectRef ref) {
        Optional<StoredObject> stored = store.get(ref);
        Optional<CustomResource<?, ?>> cached = source.cached(ref);
        if (stored.isEmpty() || cached.isEmpty() || !KubeObjects.SOURCE.equals(stored.get().source())
                || stored.get().status() == null || !source.mine(cached.get())) {
            return;
        }
        StoredObject s = stored.get();
        CustomResource<?, ?> target = cached.get();
        String uid = s.annotations().getOrDefault(KubeObjects.KUBE_UID, "");
        if (!uid.equals(target.getMetadata().getUid())) {
            return; // a different object of the same name; its own sync comes first
        }
        Long kubeGen = source.kubeGeneration(s, s.status().getObservedGeneration());
        JsonNode status = objects.normalise(s.status(), kubeGen);
        for (int attempt = 0; ; attempt++) {
            if (status.equals(objects.statusOf(target))) {
                return;
            }
            CustomResource<?, ?> updated = objects.withStatus(target, status);
            try {
                // plain PUT /status: no fieldManager or dryRun query (see docs/kubernetes.md)
                ((io.fabric8.kubernetes.client.dsl.Resource) client.resource(updated)).updateStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) {
                    if (e.getCode() == 404) {
                        return;
                    }
                    throw e;
                }
                CustomResource<?, ?> fresh = client.resource(target).get();
                if (fresh == null) {
                    return;
                }
                target = fresh;
            }
        }
    }
}
