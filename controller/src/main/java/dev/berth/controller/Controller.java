package dev.berth.controller;

import dev.berth.controller.events.EventRecorder;
import dev.berth.controller.metrics.ReconcileMetrics;
import dev.berth.controller.queue.Dispatcher;
import dev.berth.controller.queue.MaxOfRateLimiter;
import dev.berth.controller.queue.WorkQueue;
import dev.berth.controller.store.ObjectStore;
import dev.berth.controller.store.StoredObject;
import dev.berth.crd.ObjectRef;
import dev.berth.crd.status.BerthObject;
import dev.berth.crd.status.BerthStatus;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.reconcilers.Cleaner;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Outcome;
import dev.berth.reconcilers.Readiness;
import dev.berth.reconcilers.Reconciler;
import dev.berth.reconcilers.Result;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconcile loop: object changes in the {@link ObjectStore} (applies and deletion requests, not
 * status writes) and explicit triggers (task exits, resync) enqueue keys; the {@link Dispatcher}'s
 * workers decode the object, run its kind's {@link Reconciler} (or {@link Cleaner} once deletion is
 * requested) and write the status back. An object whose cleanup converged is removed from the store.
 * A reconcile that fails (throws, or returns {@link Outcome#failed} with the status it wants) gets
 * {@code Degraded=True} with the error written, then is retried with backoff.
 *
 * <p>The store keeps typed objects, so nothing is decoded here: a reconcile gets the stored
 * object's metadata and spec (shared, read-only) with a private copy of its status, and returns the
 * status it wants written ({@link Outcome}); the store writes it only when it differs. Thread-safe.
 */
public final class Controller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Controller.class);

    private final ObjectStore store;
    private final StoreLookup lookup;
    private final EventRecorder events;
    private final Clock clock;
    private static final Map<Class<?>, Class<?>> STATUS_TYPES = new ConcurrentHashMap<>();
    private final Map<String, Reconciler<?>> reconcilers = new ConcurrentHashMap<>();
    private final Dispatcher dispatcher;
    private final AtomicLong reconciles = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final Set<ObjectRef> firstPass = ConcurrentHashMap.newKeySet();
    private volatile boolean firstResyncStarted;

    public Controller(ObjectStore store, EventRecorder events, Clock clock, int workers) {
        this(store, events, clock, workers, new ReconcileMetrics(new PrometheusRegistry()));
    }

    /** A controller whose reconciles and work queue report to {@code metrics}. */
    public Controller(ObjectStore store, EventRecorder events, Clock clock, int workers, ReconcileMetrics metrics) {
        this.store = store;
        this.events = events;
        this.clock = clock;
        this.lookup = new StoreLookup(store);
        WorkQueue<ObjectRef> queue = new WorkQueue<>(clock, MaxOfRateLimiter.defaultFor(clock), metrics);
        metrics.watch(queue);
        this.dispatcher = Dispatcher.builder(queue, this::handle).workers(workers).clock(clock)
                .listener(new Dispatcher.Listener() {
                    @Override
                    public void reconciled(ObjectRef key, Result result, Duration took) {
                        metrics.reconciled(key, result, took);
                        firstPass.remove(key);
                    }

                    @Override
                    public void failed(ObjectRef key, Throwable error, Duration took, Duration retryIn) {
                        failures.incrementAndGet();
                        metrics.failed(key, error, took, retryIn);
                        firstPass.remove(key);
                        LOG.warn("reconcile of {} failed{}: {}", key,
                                retryIn == null ? " (not retried until it changes)" : ", retry in " + retryIn.toMillis() + " ms",
                                error.getMessage());
                    }
                }).start();
        store.addListener(this::onStoreEvent);
    }

    public StoreLookup lookup() {
        return lookup;
    }

    /** Registers the reconciler of one kind (the kind is its class's simple name). */
    public <T extends HasMetadata> void register(Reconciler<T> r) {
        reconcilers.put(r.kind().getSimpleName(), r);
    }

    /** Asks for {@code ref} to be reconciled now. */
    public void enqueue(ObjectRef ref) {
        dispatcher.enqueue(ref);
    }

    /** Enqueues every object (periodic drift repair). */
    public void resync() {
        List<StoredObject> all = store.list(null);
        if (!firstResyncStarted) {
            firstResyncStarted = true;
            all.forEach(o -> firstPass.add(o.key()));
        }
        for (StoredObject o : all) {
            dispatcher.enqueue(o.key());
        }
    }

    /**
     * Whether every object present at the first {@link #resync} has been reconciled once (with any
     * outcome): the daemon's readiness, as an informer's "synced".
     */
    public boolean firstResyncDone() {
        return firstResyncStarted && firstPass.isEmpty();
    }

    public long reconcileCount() {
        return reconciles.get();
    }

    public long failureCount() {
        return failures.get();
    }

    public int queueDepth() {
        return dispatcher.queue().length();
    }

    private void onStoreEvent(ObjectStore.Event e) {
        switch (e.cause()) {
            case APPLY, DELETION -> dispatcher.enqueue(e.object().key());
            case REMOVAL -> {
                dispatcher.removed(e.object().key());
                firstPass.remove(e.object().key());
            }
            case STATUS -> {
                // status writes are our own output; dependents are woken by converged results
            }
            default -> throw new IllegalStateException("unknown cause " + e.cause());
        }
    }

    private Result handle(ObjectRef key, Context ctx) throws Exception {
        // what the engine's stores do meanwhile is announced in the object's namespace
        try (EventBus.Scope acting = EventBus.actingFor(key.namespace())) {
            return handleInNamespace(key, ctx);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Result handleInNamespace(ObjectRef key, Context ctx) throws Exception {
        StoredObject stored = store.get(key).orElse(null);
        if (stored == null) {
            return Result.converged();
        }
        Reconciler r = reconcilers.get(key.kind());
        if (r == null) {
            return Result.converged();
        }
        reconciles.incrementAndGet();
        HasMetadata obj = forReconcile(stored);
        if (stored.deleting()) {
            if (!(r instanceof Cleaner c)) {
                store.remove(key);
                return Result.converged();
            }
            Result res = c.cleanup(obj, ctx);
            if (res instanceof Result.Converged) {
                store.remove(key);
                events.normal(key, "Deleted", key + " and its node state are gone");
            }
            return res;
        }
        Outcome<? extends BerthStatus> out;
        try {
            out = r.reconcile(obj, ctx);
        } catch (Exception e) {
            // the object's status is the reconcile's private copy of the stored one, unchanged; a
            // first reconcile that fails still shows its error
            BerthStatus st = status(obj);
            if (st == null) {
                st = emptyStatus(obj);
            }
            if (st != null) {
                degrade(st, e);
                store.updateStatus(key, st);
            }
            throw e;
        }
        if (out.failure() != null) {
            degrade(out.status(), out.failure());
            store.updateStatus(key, out.status());
            throw out.failure();
        }
        store.updateStatus(key, out.status());
        return out.result();
    }

    private void degrade(BerthStatus status, Exception e) {
        String reason = e instanceof BerthException b ? camel(b.category().name()) : "InternalError";
        Readiness.markFailed(status, reason, String.valueOf(e.getMessage()), clock);
    }

    /** A new status of {@code obj}'s kind ({@code CustomResource<Spec, Status>}), or null if it has none. */
    private static BerthStatus emptyStatus(HasMetadata obj) {
        Class<?> type = STATUS_TYPES.computeIfAbsent(obj.getClass(), k -> {
            for (Class<?> c = k; c != null; c = c.getSuperclass()) {
                if (c.getGenericSuperclass() instanceof java.lang.reflect.ParameterizedType p
                        && p.getRawType() == CustomResource.class
                        && p.getActualTypeArguments()[1] instanceof Class<?> s && BerthStatus.class.isAssignableFrom(s)) {
                    return s;
                }
            }
            return Void.class;
        });
        if (type == Void.class) {
            return null;
        }
        try {
            return (BerthStatus) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("status type " + type.getName() + " has no public no-argument constructor", e);
        }
    }

    private static String camel(String upper) {
        StringBuilder sb = new StringBuilder();
        for (String part : upper.split("_")) {
            sb.append(part.charAt(0)).append(part.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }

    private static BerthStatus status(HasMetadata obj) {
        return obj instanceof CustomResource<?, ?> cr && cr.getStatus() instanceof BerthStatus s ? s : null;
    }

    /**
     * The object a reconcile works on: the stored metadata and spec (shared; reconcilers never change
     * them) and a private copy of the status: reconcilers return the status they want written and
     * leave this one alone, but a careless edit must never reach the store's own instance.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static HasMetadata forReconcile(StoredObject stored) {
        CustomResource o = ((BerthObject) stored.object()).shallowCopy();
        o.setStatus(stored.status() == null ? null : stored.status().copy());
        return o;
    }

    @Override
    public void close() {
        try {
            dispatcher.close(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
