package dev.berth.controller.kubernetes;

import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.Berth;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.codec.SpecException;
import dev.berth.engine.errdefs.BerthException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the ObjectStore from the Kubernetes API: one informer per Berth kind (optionally limited to
 * a namespace and a label selector); objects whose {@code spec.nodeName} is this node are applied
 * with source {@value KubeObjects#SOURCE}, after this agent's finalizer is on them. A terminating
 * object is handed to the store for deletion; the finalizer comes off only when the store has
 * dropped the object ({@link #afterLocalRemoval}), i.e. after the node was cleaned up. Objects that
 * vanished from the API while the agent was away are deleted once every informer has listed.
 * Nothing is deleted because the API is unreachable: the informers retry and relist.
 *
 * <p>Informer callbacks only hand work to {@code worker}, a single thread shared with the status
 * sink, so every API write and store apply for this source happens in order on that thread.
 * {@link #cached} and {@link #kubeGeneration} are thread-safe.
 */
final class KubernetesSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesSource.class);
    private static final int HISTORY = 16;

    private final KubernetesClient client;
    private final ObjectStore store;
    private final KubeObjects objects;
    private final KubernetesAgent.Options options;
    private final Executor worker;
    private final Consumer<ObjectRef> statusNudge;
    private final java.util.function.BiConsumer<ObjectRef, String> recorder;
    private final Map<String, SharedIndexInformer<GenericKubernetesResource>> informers = new LinkedHashMap<>();
    private final Map<ObjectRef, NavigableMap<Long, Long>> generations = new ConcurrentHashMap<>();
    private final Map<ObjectRef, String> reported = new ConcurrentHashMap<>();
    private volatile boolean closed;

    KubernetesSource(KubernetesClient client, ObjectStore store, KubeObjects objects, KubernetesAgent.Options options,
            Executor worker, Consumer<ObjectRef> statusNudge, java.util.function.BiConsumer<ObjectRef, String> invalid) {
        this.client = client;
        this.store = store;
        this.objects = objects;
        this.options = options;
        this.worker = worker;
        this.statusNudge = statusNudge;
        this.recorder = invalid;
    }

    /** Starts the informers; returns at once. Once all have listed, prunes what the API no longer has. */
    void start() {
        List<CompletableFuture<Void>> synced = new ArrayList<>();
        for (Class<? extends CustomResource<?, ?>> kind : Berth.KINDS) {
            SharedIndexInformer<GenericKubernetesResource> informer = inform(kind);
            informers.put(kind.getSimpleName(), informer);
            synced.add(informer.start().toCompletableFuture());
        }
        CompletableFuture.allOf(synced.toArray(CompletableFuture[]::new))
                .thenRun(() -> submit(this::pruneVanished));
    }

    // generic resources, decoded per object: one object that does not decode (a bad quantity) must
    // not fail the list of every object of its kind, as a typed informer's list would
    private SharedIndexInformer<GenericKubernetesResource> inform(Class<? extends CustomResource<?, ?>> kind) {
        var op = client.genericKubernetesResources(ResourceDefinitionContext.fromResourceType(kind));
        var scoped = options.namespace().isEmpty() ? op.inAnyNamespace() : op.inNamespace(options.namespace());
        var filtered = options.labelSelector().isEmpty() ? scoped : scoped.withLabelSelector(options.labelSelector());
        SharedIndexInformer<GenericKubernetesResource> informer = filtered.runnableInformer(options.resync().toMillis());
        // keep retrying whatever fails (API server away, CRD not installed yet): local state stays as it is
        informer.exceptionHandler((started, t) -> {
            if (!closed) {
                LOG.warn("Kubernetes {} informer: {} (retrying)", kind.getSimpleName(), t.toString());
            }
            return !closed;
        });
        informer.addEventHandler(new ResourceEventHandler<GenericKubernetesResource>() {
            @Override
            public void onAdd(GenericKubernetesResource o) {
                submit(() -> sync(o));
            }

            @Override
            public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource o) {
                submit(() -> sync(o));
            }

            @Override
            public void onDelete(GenericKubernetesResource o, boolean finalStateUnknown) {
                submit(() -> vanished(refOf(o)));
            }
        });
        return informer;
    }

    private static ObjectRef refOf(GenericKubernetesResource o) {
        return new ObjectRef(o.getKind(), o.getMetadata().getNamespace(), o.getMetadata().getName());
    }

    private void submit(Runnable r) {
        if (closed) {
            return;
        }
        try {
            worker.execute(() -> {
                try {
                    r.run();
                } catch (RejectedExecutionException e) {
                    LOG.debug("agent stopping: {}", e.toString());
                } catch (RuntimeException e) {
                    LOG.warn("Kubernetes source: {}", e.toString(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("agent stopping: {}", e.toString());
        }
    }

    /** The API object as last seen by the informer, if any. */
    Optional<GenericKubernetesResource> cachedRaw(ObjectRef ref) {
        SharedIndexInformer<GenericKubernetesResource> i = informers.get(ref.kind());
        return i == null ? Optional.empty() : Optional.ofNullable(i.getStore().getByKey(ref.namespace() + "/" + ref.name()));
    }

    /** The API object as last seen by the informer, decoded; empty when absent or invalid. */
    Optional<CustomResource<?, ?>> cached(ObjectRef ref) {
        return cachedRaw(ref).flatMap(g -> {
            try {
                return Optional.of(objects.decode(g));
            } catch (RuntimeException e) { // SpecException: an invalid object has no decoded form
                return Optional.empty();
            }
        });
    }

    /** Whether every informer is listed and watching. */
    boolean watching() {
        return !informers.isEmpty() && informers.values().stream().allMatch(i -> i.hasSynced() && i.isWatching());
    }

    boolean mine(CustomResource<?, ?> o) {
        return options.nodeName().equals(objects.nodeName(o));
    }

    /**
     * The Kubernetes generation that matches local generation {@code observed} of {@code s}, or null
     * when unknown (status for a spec this agent no longer remembers).
     */
    Long kubeGeneration(StoredObject s, Long observed) {
        if (observed == null) {
            return null;
        }
        if (observed == s.generation()) {
            String g = s.annotations().getOrDefault(KubeObjects.KUBE_GENERATION, "");
            return g.matches("\\d+") ? Long.valueOf(g) : null;
        }
        NavigableMap<Long, Long> h = generations.get(s.key());
        return h == null ? null : h.get(observed);
    }

    private void sync(GenericKubernetesResource raw) {
        ObjectRef ref = refOf(raw);
        Optional<StoredObject> stored = store.get(ref);
        boolean ours = stored.isPresent() && KubeObjects.SOURCE.equals(stored.get().source());
        if (!options.nodeName().equals(KubeObjects.nodeName(raw))) {
            if (ours && !stored.get().deleting()) {
                LOG.info("{} moved to node {}: deleting it here", ref, KubeObjects.nodeName(raw));
                store.requestDeletion(ref);
            }
            return;
        }
        if (KubeObjects.terminating(raw)) {
            if (ours) {
                store.requestDeletion(ref);
            } else if (KubeObjects.hasFinalizer(raw)) {
                removeFinalizer(ref);
            }
            return;
        }
        CustomResource<?, ?> o;
        try {
            o = objects.decode(raw);
        } catch (SpecException e) {
            // like a manifest file that fails to parse: the last good spec stays in force on the node
            if (!e.getMessage().equals(reported.put(ref, e.getMessage()))) {
                LOG.warn("{} from Kubernetes is invalid; the node keeps its last good spec:\n{}", ref, e.getMessage());
                recorder.accept(ref, e.getMessage());
            }
            return;
        }
        if (!KubeObjects.hasFinalizer(raw)) {
            try {
                addFinalizer(ref);
            } catch (KubernetesClientException e) {
                // the next event retries; the object still runs (a deletion then arrives as a DELETE)
                LOG.warn("{}: cannot add finalizer {}: {}", ref, KubeObjects.FINALIZER, e.getMessage());
            }
        }
        try {
            store.apply(objects.toStore(o), KubeObjects.SOURCE, false);
            reported.remove(ref);
        } catch (BerthException e) {
            if (!e.getMessage().equals(reported.put(ref, e.getMessage()))) {
                LOG.warn("{} from Kubernetes not applied: {}", ref, e.getMessage());
            }
            return;
        }
        store.get(ref).ifPresent(s -> remember(s, o.getMetadata().getGeneration()));
        statusNudge.accept(ref);
    }

    private void remember(StoredObject s, Long kubeGeneration) {
        if (kubeGeneration == null) {
            return;
        }
        NavigableMap<Long, Long> h = generations.computeIfAbsent(s.key(), k -> new TreeMap<>());
        synchronized (h) {
            h.put(s.generation(), kubeGeneration);
            while (h.size() > HISTORY) {
                h.pollFirstEntry();
            }
        }
    }

    /** The API no longer has the object: delete the local copy (if this source made it). */
    private void vanished(ObjectRef ref) {
        store.get(ref).filter(s -> KubeObjects.SOURCE.equals(s.source()) && !s.deleting()).ifPresent(s -> {
            LOG.info("{} was deleted from Kubernetes: deleting it here", ref);
            store.requestDeletion(ref);
        });
    }

    private void pruneVanished() {
        if (closed) {
            return;
        }
        for (StoredObject s : store.listBySource(KubeObjects.SOURCE)) {
            if (!s.deleting() && informers.containsKey(s.key().kind()) && cachedRaw(s.key()).isEmpty()) {
                LOG.info("{} is no longer in Kubernetes: deleting it here", s.key());
                store.requestDeletion(s.key());
            }
        }
    }

    /**
     * Called on the worker thread when the store dropped an object of this source (cleanup done):
     * lets Kubernetes finish the deletion, or applies the object again when the API holds a new one.
     */
    void afterLocalRemoval(ObjectRef ref) {
        generations.remove(ref);
        Optional<GenericKubernetesResource> cur = cachedRaw(ref);
        if (cur.isEmpty()) {
            return;
        }
        GenericKubernetesResource o = cur.get();
        if (KubeObjects.terminating(o)) {
            if (KubeObjects.hasFinalizer(o)) {
                removeFinalizer(ref);
            }
        } else if (options.nodeName().equals(KubeObjects.nodeName(o))) {
            sync(o);
        }
        // an object moved to another node keeps the finalizer: that node's agent now owns it
    }

    private void addFinalizer(ObjectRef ref) {
        edit(ref, o -> {
            if (!KubeObjects.terminating(o) && !KubeObjects.hasFinalizer(o)) {
                o.getMetadata().getFinalizers().add(KubeObjects.FINALIZER);
            }
        });
    }

    private void removeFinalizer(ObjectRef ref) {
        LOG.info("{}: node cleaned up, removing finalizer {}", ref, KubeObjects.FINALIZER);
        edit(ref, o -> o.getMetadata().getFinalizers().remove(KubeObjects.FINALIZER));
    }

    private void edit(ObjectRef ref, Consumer<GenericKubernetesResource> change) {
        Class<? extends CustomResource<?, ?>> kind = Berth.kindClass(ref.kind()).orElseThrow();
        try {
            client.genericKubernetesResources(ResourceDefinitionContext.fromResourceType(kind))
                    .inNamespace(ref.namespace()).withName(ref.name()).edit(o -> {
                        if (o.getMetadata().getFinalizers() == null) {
                            o.getMetadata().setFinalizers(new ArrayList<>());
                        }
                        change.accept(o);
                        return o;
                    });
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        informers.values().forEach(SharedIndexInformer::stop);
    }
}
