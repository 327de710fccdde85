package dev.berth.reconcilers.probe;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.ContainerStatus.ProbeStatus;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.reconcilers.EventSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the probes of running tasks on a scheduler of its own, never on a reconcile worker, with
 * kubelet's semantics: liveness and readiness wait for the startup probe; a probe's result flips
 * after {@code successThreshold} consecutive successes or {@code failureThreshold} consecutive
 * failures; readiness starts as not ready; a failed startup or liveness probe asks for the task to
 * be killed. Every failed attempt is reported as an {@code Unhealthy} warning event naming the probe
 * and its output. When a result flips, the Container's key is handed to {@code onChange} (the
 * controller enqueues it), and the next reconcile reads the new {@link ProbeVerdict} with
 * {@link #observe}.
 *
 * <p>The reconciler calls {@link #observe} for a running task (which starts its probes, or restarts
 * them for a new task or new probes) and {@link #forget} once the task is no longer running.
 * Timings are real time from the first {@link #observe} of a task, which the reconciler makes right
 * after the task started. Thread-safe.
 */
public final class Prober implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Prober.class);

    private final ProbeAttempts attempts;
    private final EventSink events;
    private final Consumer<ObjectRef> onChange;
    private final ScheduledExecutorService scheduler;
    private final Map<String, TaskProbes> tasks = new ConcurrentHashMap<>();
    private final AtomicLong attemptCount = new AtomicLong();

    /**
     * @param threads how many attempts may run at once (an exec attempt holds its thread until
     *        {@code runc exec} returns; TCP and HTTP ones until the answer or the timeout)
     */
    public Prober(TaskRuntime runtime, ProbeDialer dialer, EventSink events, Consumer<ObjectRef> onChange, int threads) {
        this.attempts = new ProbeAttempts(Objects.requireNonNull(runtime, "runtime"), Objects.requireNonNull(dialer));
        this.events = Objects.requireNonNull(events, "events");
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        AtomicInteger n = new AtomicInteger();
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(threads, r -> {
            Thread t = new Thread(r, "prober-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        this.scheduler = s;
    }

    /**
     * The verdict of the probes {@code plans} on task {@code namespace/id} (init pid {@code pid}) of
     * Container {@code ref}, starting them if this task or these plans are new. {@code plans} empty:
     * no probes, {@link ProbeVerdict#none}.
     */
    public ProbeVerdict observe(ObjectRef ref, String namespace, String id, long pid, List<ProbePlan> plans,
            String runningMessage) {
        if (plans.isEmpty()) {
            forgetTask(namespace, id);
            return ProbeVerdict.none(runningMessage);
        }
        TaskProbes tp = tasks.compute(namespace + "/" + id, (k, old) -> {
            if (old != null && old.pid == pid && old.plans.equals(plans)) {
                return old;
            }
            boolean started = old != null && old.pid == pid && old.started;
            if (old != null) {
                old.stop();
            }
            TaskProbes n = new TaskProbes(ref, namespace, id, pid, plans, started);
            n.start();
            return n;
        });
        return tp.verdict(runningMessage);
    }

    /**
     * Stops probing every task of Container {@code ref} (they stopped, are being recreated or
     * deleted). Idempotent.
     */
    public void forget(ObjectRef ref) {
        tasks.values().removeIf(tp -> {
            if (tp.ref.equals(ref)) {
                tp.stop();
                return true;
            }
            return false;
        });
    }

    /**
     * Stops probing task {@code namespace/id} only (one revision of a Container: the old one after a
     * surge's new one took over, or the new one when it is rolled back). Idempotent.
     */
    public void forgetTask(String namespace, String id) {
        TaskProbes tp = tasks.remove(namespace + "/" + id);
        if (tp != null) {
            tp.stop();
        }
    }

    /** How many probe attempts have run since this prober started (for the daemon's /stats). */
    public long attempts() {
        return attemptCount.get();
    }

    /** How many tasks are being probed. */
    public int probedTasks() {
        return tasks.size();
    }

    @Override
    public void close() {
        tasks.values().forEach(TaskProbes::stop);
        tasks.clear();
        scheduler.shutdownNow();
    }

    /** Where a probe's result stands. */
    enum Result { Pending, Success, Failure }

    /** The probes of one task. Guarded by its own monitor. */
    private final class TaskProbes {
        final ObjectRef ref;
        final String namespace;
        final String id;
        final long pid;
        final List<ProbePlan> plans;
        final Map<ProbePlan.Kind, Worker> workers = new EnumMap<>(ProbePlan.Kind.class);
        boolean started;
        String kill;
        volatile boolean stopped;

        TaskProbes(ObjectRef ref, String namespace, String id, long pid, List<ProbePlan> plans, boolean started) {
            this.ref = ref;
            this.namespace = namespace;
            this.id = id;
            this.pid = pid;
            this.plans = List.copyOf(plans);
            boolean hasStartup = plans.stream().anyMatch(p -> p.kind() == ProbePlan.Kind.Startup);
            this.started = started || !hasStartup;
            for (ProbePlan p : plans) {
                workers.put(p.kind(), new Worker(this, p));
            }
        }

        void start() {
            workers.values().forEach(w -> w.schedule(w.plan.initialDelay()));
        }

        void stop() {
            stopped = true;
        }

        synchronized ProbeVerdict verdict(String runningMessage) {
            List<ProbeStatus> st = new ArrayList<>();
            for (Worker w : workers.values()) {
                st.add(new ProbeStatus(w.plan.kind().name(), w.plan.source(), w.plan.action().describe(),
                        w.result.name(), w.message));
            }
            if (kill != null) {
                return new ProbeVerdict(started, false, "ProbeFailed", kill, kill, st);
            }
            if (!started) {
                Worker s = workers.get(ProbePlan.Kind.Startup);
                return new ProbeVerdict(false, false, "Starting", "waiting for the startup probe ("
                        + s.plan.action().describe() + ") to succeed" + last(s), null, st);
            }
            Worker r = workers.get(ProbePlan.Kind.Readiness);
            if (r == null) {
                return new ProbeVerdict(true, true, "Running", runningMessage, null, st);
            }
            return switch (r.result) {
                case Success -> new ProbeVerdict(true, true, "Ready", "readiness probe succeeded"
                        + (r.message == null || r.message.isEmpty() ? "" : ": " + r.message), null, st);
                case Failure -> new ProbeVerdict(true, false, "ProbeFailed", "readiness probe ("
                        + r.plan.action().describe() + ") failed: " + r.message, null, st);
                case Pending -> new ProbeVerdict(true, false, "WaitingForProbe", "waiting for the readiness probe ("
                        + r.plan.action().describe() + ") to succeed" + last(r), null, st);
            };
        }

        private String last(Worker w) {
            return w.message == null || w.message.isEmpty() ? "" : "; last attempt: " + w.message;
        }
    }

    /** One probe of one task: its schedule and its consecutive counts. State guarded by the task's monitor. */
    private final class Worker {
        final TaskProbes task;
        final ProbePlan plan;
        int successes;
        int failures;
        Result result = Result.Pending;
        String message;

        Worker(TaskProbes task, ProbePlan plan) {
            this.task = task;
            this.plan = plan;
        }

        void schedule(Duration delay) {
            if (task.stopped) {
                return;
            }
            try {
                scheduler.schedule(this::tick, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the prober is closing
            }
        }

        void tick() {
            if (task.stopped) {
                return;
            }
            boolean finished;
            boolean held;
            synchronized (task) {
                finished = task.kill != null || plan.kind() == ProbePlan.Kind.Startup && task.started;
                held = plan.kind() != ProbePlan.Kind.Startup && !task.started;
            }
            if (finished) {
                return;
            }
            if (held) {
                // kubelet's liveness and readiness workers tick but do not probe until the start
                schedule(plan.period());
                return;
            }
            long begun = System.nanoTime();
            ProbeAttempts.Outcome o;
            attemptCount.incrementAndGet();
            try {
                o = attempts.run(plan, task.namespace, task.id, task.pid);
            } catch (BerthException e) {
                if (BerthException.is(e, ErrorCategory.NOT_FOUND) || BerthException.is(e, ErrorCategory.FAILED_PRECONDITION)) {
                    // the task is not running any more; its reconcile forgets these probes
                    LOG.debug("{} probe of {}: {}", plan.kind(), task.ref, e.getMessage());
                    return;
                }
                o = ProbeAttempts.Outcome.failed(e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("{} probe of {} failed unexpectedly", plan.kind(), task.ref, e);
                o = ProbeAttempts.Outcome.failed(e.toString());
            }
            if (task.stopped) {
                return;
            }
            boolean changed = record(o);
            if (!o.success()) {
                events.warning(task.ref, "Unhealthy", plan.kind() + " probe (" + plan.source() + ", "
                        + plan.action().describe() + ") failed: " + o.message());
            }
            if (changed) {
                onChange.accept(task.ref);
            }
            boolean done;
            synchronized (task) {
                done = task.kill != null || plan.kind() == ProbePlan.Kind.Startup && task.started;
            }
            if (!done) {
                Duration took = Duration.ofNanos(System.nanoTime() - begun);
                schedule(plan.period().minus(took));
            }
        }

        /** Counts one outcome; whether the task's verdict changed. */
        private boolean record(ProbeAttempts.Outcome o) {
            synchronized (task) {
                message = o.message();
                Result before = result;
                if (o.success()) {
                    failures = 0;
                    successes++;
                    if (successes >= plan.successThreshold()) {
                        result = Result.Success;
                    }
                } else {
                    successes = 0;
                    failures++;
                    if (failures >= plan.failureThreshold()) {
                        result = Result.Failure;
                    }
                }
                if (result == before) {
                    return false;
                }
                switch (plan.kind()) {
                    case Startup -> {
                        if (result == Result.Success) {
                            task.started = true;
                        } else if (result == Result.Failure) {
                            task.kill = "Startup probe (" + plan.source() + ", " + plan.action().describe()
                                    + ") failed " + failures + " times: " + message;
                        }
                    }
                    case Liveness -> {
                        if (result == Result.Failure) {
                            task.kill = "Liveness probe (" + plan.source() + ", " + plan.action().describe()
                                    + ") failed " + failures + " times: " + message;
                        }
                    }
                    case Readiness -> {
                        // the verdict reads the result
                    }
                    default -> throw new IllegalStateException(plan.kind().name());
                }
                return true;
            }
        }
    }
}
