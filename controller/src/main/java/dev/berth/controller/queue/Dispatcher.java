package dev.berth.controller.queue;

import dev.berth.crd.ObjectRef;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.Result;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A bounded pool of worker threads taking object keys from a {@link WorkQueue} and handing them to a
 * {@link Handler}, then acting on the {@link Result}:
 * <ul>
 *   <li>converged: backoff forgotten; objects waiting for this one are enqueued;</li>
 *   <li>requeueAfter(d): backoff forgotten; the key comes back after {@code d};</li>
 *   <li>waitingFor(dep): backoff forgotten; the key comes back when {@code dep} converges (at once,
 *       with backoff, if it already has);</li>
 *   <li>exception: retried with the queue's per-key backoff; errors that retrying cannot fix
 *       ({@link Builder#permanentErrors}, by default {@code INVALID_ARGUMENT}) are not retried until
 *       the key is added again.</li>
 * </ul>
 * Each reconcile runs with MDC key {@code object} set to the key. Thread-safe; {@link #close} is
 * idempotent.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    /** Reconciles the object behind a key. Called by one worker at a time per key. */
    @FunctionalInterface
    public interface Handler {
        Result handle(ObjectRef key, Context context) throws Exception;
    }

    /** Observes outcomes (metrics, events). Called on worker threads; must not block. */
    public interface Listener {
        default void reconciled(ObjectRef key, Result result, Duration took) {
        }

        /** {@code retryIn} is null when the error is not retried. */
        default void failed(ObjectRef key, Throwable error, Duration took, Duration retryIn) {
        }
    }

    private final WorkQueue<ObjectRef> queue;
    private final Handler handler;
    private final Clock clock;
    private final Listener listener;
    private final Predicate<Throwable> permanent;
    private final Dependents dependents = new Dependents();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    private Dispatcher(Builder b) {
        this.queue = b.queue;
        this.handler = b.handler;
        this.clock = b.clock;
        this.listener = b.listener;
        this.permanent = b.permanent;
    }

    /** Starts configuring a dispatcher over {@code queue}. */
    public static Builder builder(WorkQueue<ObjectRef> queue, Handler handler) {
        return new Builder(queue, handler);
    }

    /** Asks for {@code key} to be reconciled. */
    public void enqueue(ObjectRef key) {
        queue.add(key);
    }

    /** Enqueues everything waiting for {@code dependency} (e.g. it was deleted or changed). */
    public void release(ObjectRef dependency) {
        dependents.release(dependency).forEach(queue::add);
    }

    /** Forgets backoff and dependency state of a deleted object. */
    public void removed(ObjectRef key) {
        queue.forget(key);
        dependents.remove(key);
    }

    /** Objects currently waiting for another one. */
    public int waitingCount() {
        return dependents.waiting();
    }

    public WorkQueue<ObjectRef> queue() {
        return queue;
    }

    private void start(int workers) {
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::work, "berth-worker-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void work() {
        try {
            ObjectRef key;
            while ((key = queue.get()) != null) {
                try {
                    processOne(key);
                } finally {
                    queue.done(key);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs one reconcile of {@code key} and applies its outcome. Visible for tests. */
    void processOne(ObjectRef key) {
        long start = System.nanoTime();
        MDC.put("object", key.toString());
        try {
            Result r;
            try {
                r = Objects.requireNonNull(handler.handle(key, new Context(queue.numRequeues(key), clock)),
                        "reconcile returned null");
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                failed(key, e, Duration.ofNanos(System.nanoTime() - start));
                return;
            }
            apply(key, r);
            notify(() -> listener.reconciled(key, r, Duration.ofNanos(System.nanoTime() - start)));
        } finally {
            MDC.remove("object");
        }
    }

    private void failed(ObjectRef key, Throwable e, Duration took) {
        dependents.outcome(key, false);
        Duration retryIn = null;
        if (permanent.test(e)) {
            queue.forget(key);
            LOG.warn("reconcile of {} failed and is not retried until it changes: {}", key, e.getMessage());
        } else {
            retryIn = queue.addRateLimited(key);
            LOG.info("reconcile of {} failed (attempt {}), retrying in {}: {}", key, queue.numRequeues(key),
                    retryIn, e.toString());
            LOG.debug("reconcile of {} failed", key, e);
        }
        Duration retry = retryIn;
        notify(() -> listener.failed(key, e, took, retry));
    }

    private static void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("reconcile listener failed", e);
        }
    }

    private void apply(ObjectRef key, Result r) {
        if (r instanceof Result.Converged) {
            queue.forget(key);
            dependents.outcome(key, true).forEach(queue::add);
        } else if (r instanceof Result.RequeueAfter ra) {
            queue.forget(key);
            dependents.outcome(key, false);
            queue.addAfter(key, ra.delay());
        } else if (r instanceof Result.WaitingFor w) {
            dependents.outcome(key, false);
            if (dependents.waitFor(key, w.dependency())) {
                // the dependency converged before we registered: look again, with growing backoff
                // (not forgotten) in case this reconciler keeps disagreeing with it
                queue.addRateLimited(key);
            } else {
                queue.forget(key);
            }
        }
    }

    /**
     * Stops taking new work: the queue shuts down, workers finish what is queued and in flight and
     * exit; waits up to {@code timeout} for them.
     *
     * @return whether all workers ended in time
     */
    public boolean close(Duration timeout) throws InterruptedException {
        closed = true;
        queue.shutDown();
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean all = true;
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, left / 1_000_000));
            }
            all &= !t.isAlive();
        }
        return all;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            if (!close(Duration.ofSeconds(30))) {
                LOG.warn("reconcile workers still busy after 30 s at shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Configuration with eager checks. Not thread-safe. */
    public static final class Builder {
        private final WorkQueue<ObjectRef> queue;
        private final Handler handler;
        private int workers = 4;
        private Clock clock = Clock.systemUTC();
        private Listener listener = new Listener() {
        };
        private Predicate<Throwable> permanent = e -> BerthException.is(e, ErrorCategory.INVALID_ARGUMENT);

        private Builder(WorkQueue<ObjectRef> queue, Handler handler) {
            this.queue = Objects.requireNonNull(queue, "queue");
            this.handler = Objects.requireNonNull(handler, "handler");
        }

        /** Worker threads (reconciles running at once), 1..256; default 4. */
        public Builder workers(int n) {
            if (n < 1 || n > 256) {
                throw new IllegalArgumentException("reconcile workers must be 1..256, got " + n);
            }
            this.workers = n;
            return this;
        }

        /** Clock handed to reconcilers in their {@link Context}; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Builder listener(Listener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Which failures are not retried until the object changes. */
        public Builder permanentErrors(Predicate<Throwable> permanent) {
            this.permanent = Objects.requireNonNull(permanent, "permanent");
            return this;
        }

        /** Builds without starting threads (tests drive {@link Dispatcher#processOne}). */
        Dispatcher build() {
            return new Dispatcher(this);
        }

        /** Builds and starts the workers. */
        public Dispatcher start() {
            Dispatcher d = build();
            d.start(workers);
            return d;
        }
    }
}
