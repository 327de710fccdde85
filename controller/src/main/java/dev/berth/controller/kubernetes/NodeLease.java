package dev.berth.controller.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent per node: holds the coordination.k8s.io Lease {@code berth-<node>} in the agent's
 * namespace through fabric8's leader election. {@code onStart} runs when this agent holds the lease,
 * {@code onStop} when it lost it (renewal failed, e.g. the API server was away for longer than the
 * renew deadline) or on {@link #close()}; after a loss it campaigns again. A second agent for the
 * same node waits in {@code tryAcquire}. The callbacks run on the election thread, never at the same
 * time. Thread-safe.
 */
final class NodeLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeLease.class);

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String identity;
    private final Duration duration;
    private final Runnable onStart;
    private final Runnable onStop;
    private final Thread thread;
    private volatile boolean closed;
    private volatile CompletableFuture<?> running;

    NodeLease(KubernetesClient client, String namespace, String nodeName, String identity, Duration duration,
            Runnable onStart, Runnable onStop) {
        this.client = client;
        this.namespace = namespace;
        this.name = leaseName(nodeName);
        this.identity = identity;
        this.duration = duration;
        this.onStart = onStart;
        this.onStop = onStop;
        this.thread = new Thread(this::campaign, "berth-lease");
        thread.setDaemon(true);
    }

    static String leaseName(String nodeName) {
        return "berth-" + nodeName;
    }

    void start() {
        thread.start();
    }

    private void campaign() {
        Duration retry = retryPeriod();
        while (!closed) {
            var config = new LeaderElectionConfigBuilder()
                    .withName(name)
                    .withLock(new LeaseLock(namespace, name, identity))
                    .withLeaseDuration(duration)
                    .withRenewDeadline(duration.multipliedBy(2).dividedBy(3))
                    .withRetryPeriod(retry)
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(new LeaderCallbacks(this::started, this::stopped,
                            leader -> LOG.info("Lease {}/{} held by {}", namespace, name, leader)))
                    .build();
            CompletableFuture<?> f = client.leaderElector().withConfig(config).build().start();
            running = f;
            try {
                f.get();
            } catch (ExecutionException e) {
                LOG.warn("Lease {}/{}: {}", namespace, name, e.getCause() == null ? e : e.getCause().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.CancellationException e) {
                return;
            }
            sleep(retry);
        }
    }

    private Duration retryPeriod() {
        Duration r = duration.dividedBy(5);
        return r.compareTo(Duration.ofMillis(200)) < 0 ? Duration.ofMillis(200) : r;
    }

    private void started() {
        LOG.info("Lease {}/{} acquired by {}: this agent runs node objects from Kubernetes", namespace, name, identity);
        onStart.run();
    }

    private void stopped() {
        LOG.warn("Lease {}/{} no longer held by {}: stopped taking specs from Kubernetes", namespace, name, identity);
        onStop.run();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        CompletableFuture<?> f = running;
        if (f != null) {
            f.cancel(true);
        }
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
