package dev.berth.controller.kubernetes;

import dev.berth.controller.events.EventRecorder;
import dev.berth.controller.store.ObjectStore;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode: the Kubernetes API as one more source of the daemon's {@link ObjectStore} and as
 * the sink of its status and events. The reconcilers are the daemon's own; this agent only moves
 * specs in ({@link KubernetesSource}, with the node-cleanup finalizer), status out
 * ({@link StatusSink}) and events out ({@link EventSink}), while it holds the node's Lease
 * ({@link NodeLease}). Losing the API or the lease never deletes anything locally: the store keeps
 * the last specs and the reconcilers keep the node as it is. Entry point for the daemon:
 * {@link #start(ObjectStore, EventRecorder, Config)} then {@link #close()}. Thread-safe.
 */
public final class KubernetesAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesAgent.class);

    /**
     * What the agent watches and how it identifies itself.
     *
     * @param nodeName       objects whose {@code spec.nodeName} equals this are run here
     * @param namespace      watched namespace, empty for all
     * @param labelSelector  extra label selector, empty for none
     * @param agentNamespace namespace of the node Lease
     * @param identity       holder identity written into the Lease
     */
    public record Options(String nodeName, String namespace, String labelSelector, String agentNamespace,
            Duration resync, Duration leaseDuration, String identity) {
        public Options {
            Objects.requireNonNull(nodeName, "nodeName");
            if (nodeName.isEmpty()) {
                throw BerthException.invalid("Kubernetes mode needs a node name: set node_name in "
                        + "[plugins.\"dev.berth.v1\"] or the NODE_NAME environment variable");
            }
        }

        /** Options from the daemon's configuration and the downward-API environment. */
        public static Options from(Config config) {
            String node = firstNonEmpty(config.get(KubernetesSettings.NODE_NAME), System.getenv("NODE_NAME"), hostName());
            String agentNs = firstNonEmpty(config.get(KubernetesSettings.AGENT_NAMESPACE), System.getenv("POD_NAMESPACE"),
                    "berth-system");
            String identity = firstNonEmpty(System.getenv("POD_NAME"), hostName(), "berth") + "_"
                    + UUID.randomUUID().toString().substring(0, 8);
            return new Options(node, config.get(KubernetesSettings.NAMESPACE), config.get(KubernetesSettings.LABEL_SELECTOR),
                    agentNs, config.get(KubernetesSettings.RESYNC), config.get(KubernetesSettings.LEASE_DURATION), identity);
        }
    }

    private final KubernetesClient client;
    private final boolean ownsClient;
    private final ObjectStore store;
    private final EventRecorder recorder;
    private final Options options;
    private final KubeObjects objects = new KubeObjects(new SpecCodec());
    private final NodeLease lease;
    private Running running;
    private boolean closed;

    /** What runs while the lease is held. */
    private record Running(ScheduledExecutorService worker, ExecutorService poster, KubernetesSource source,
            StatusSink status, EventSink events) {
    }

    private KubernetesAgent(KubernetesClient client, boolean ownsClient, ObjectStore store, EventRecorder recorder,
            Options options) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.store = store;
        this.recorder = recorder;
        this.options = options;
        this.lease = new NodeLease(client, options.agentNamespace(), options.nodeName(), options.identity(),
                options.leaseDuration(), this::lead, this::follow);
    }

    /** Starts Kubernetes mode as configured ({@link KubernetesSettings}); returns at once. */
    public static KubernetesAgent start(ObjectStore store, EventRecorder recorder, Config config) {
        Options options = Options.from(config);
        KubernetesClient client = connect(config.get(KubernetesSettings.KUBECONFIG));
        LOG.info("Kubernetes mode: node {}, API {}, lease {}/{}", options.nodeName(),
                client.getConfiguration().getMasterUrl(), options.agentNamespace(), NodeLease.leaseName(options.nodeName()));
        return start(client, true, store, recorder, options);
    }

    /** Starts with a given client (tests); {@code ownsClient} closes it on {@link #close()}. */
    public static KubernetesAgent start(KubernetesClient client, boolean ownsClient, ObjectStore store,
            EventRecorder recorder, Options options) {
        KubernetesAgent agent = new KubernetesAgent(client, ownsClient, store, recorder, options);
        agent.lease.start();
        return agent;
    }

    /** A client for {@code kubeconfig} (empty: in-cluster, $KUBECONFIG or ~/.kube/config), on the JDK HTTP client. */
    public static KubernetesClient connect(String kubeconfig) {
        io.fabric8.kubernetes.client.Config kc;
        if (kubeconfig.isEmpty()) {
            kc = io.fabric8.kubernetes.client.Config.autoConfigure(null);
        } else {
            try {
                kc = io.fabric8.kubernetes.client.Config.fromKubeconfig(Files.readString(Path.of(kubeconfig)));
            } catch (IOException e) {
                throw new BerthException(ErrorCategory.INVALID_ARGUMENT, "cannot read kubeconfig " + kubeconfig
                        + " (set kubeconfig in [plugins.\"dev.berth.v1\"]): " + e.getMessage(), e);
            }
        }
        return new KubernetesClientBuilder().withConfig(kc).withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    /** Whether this agent holds the node's Lease (and so takes specs from Kubernetes). */
    public synchronized boolean leading() {
        return running != null;
    }

    /** Whether the agent leads and every informer has listed and is watching. */
    public synchronized boolean watching() {
        return running != null && running.source().watching();
    }

    public Options options() {
        return options;
    }

    private synchronized void lead() {
        if (closed || running != null) {
            return;
        }
        ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "berth-kube"));
        ExecutorService poster = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1000),
                r -> daemon(r, "berth-kube-events"), new ThreadPoolExecutor.DiscardOldestPolicy());
        StatusSink[] sink = new StatusSink[1];
        KubernetesSource source = new KubernetesSource(client, store, objects, options, worker, ref -> sink[0].nudge(ref),
                (ref, problem) -> recorder.warning(ref, "InvalidSpec", problem));
        sink[0] = new StatusSink(client, store, objects, source, worker);
        EventSink events = new EventSink(client, store, source, options.nodeName(), poster);
        running = new Running(worker, poster, source, sink[0], events);
        store.addListener(sink[0]);
        recorder.addListener(events);
        source.start();
    }

    private synchronized void follow() {
        Running r = running;
        running = null;
        if (r == null) {
            return;
        }
        store.removeListener(r.status());
        recorder.removeListener(r.events());
        r.source().close();
        r.worker().shutdownNow();
        r.poster().shutdown();
        try {
            r.worker().awaitTermination(5, TimeUnit.SECONDS);
            r.poster().awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static String firstNonEmpty(String... values) {
        for (String v : values) {
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return "";
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops taking specs and writing status; releases the Lease; local objects stay. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        lease.close();
        follow();
        if (ownsClient) {
            client.close();
        }
    }
}
