package dev.berth.controller.kubernetes;

import dev.berth.controller.events.EventRecorder;
import dev.berth.controller.store.ObjectStore;
import dev.berth.crd.codec.SpecCodec;
import dev.berth.engine.metadata.MetadataStore;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One scenario's world: the CRUD mock API server with Berth's generated CRDs registered, a relay in
 * front of it (to take the API away), an ObjectStore and EventRecorder on a temporary database, and
 * agents talking to the API through the relay with the JDK HTTP client, as in production.
 */
final class Fixture implements AutoCloseable {
    static final String NODE = "node-a";
    static final String AGENT_NS = "berth-system";

    // the mock server logs every request through java.util.logging; keep a reference so the level sticks
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    final KubernetesClient kube;
    final MetadataStore db;
    final ObjectStore store;
    final EventRecorder recorder;
    final TcpRelay relay;
    final SpecCodec codec = new SpecCodec();
    private final List<AutoCloseable> agents = new ArrayList<>();

    Fixture(KubernetesClient kube, Path tmp) throws IOException {
        this.kube = kube;
        for (String plural : List.of("images", "snapshots", "containers", "sandboxes")) {
            try (InputStream in = Fixture.class.getResourceAsStream("/META-INF/fabric8/" + plural + ".berth.dev-v1.yml")) {
                CustomResourceDefinition crd = kube.apiextensions().v1().customResourceDefinitions().load(in).item();
                kube.apiextensions().v1().customResourceDefinitions().resource(crd).create();
            }
        }
        this.db = MetadataStore.open(tmp.resolve("meta.db"));
        this.store = new ObjectStore(db, Clock.systemUTC());
        this.recorder = new EventRecorder(db, Clock.systemUTC());
        URI master = URI.create(kube.getMasterUrl().toString());
        this.relay = new TcpRelay(master.getHost(), master.getPort());
    }

    KubernetesClient agentClient() {
        URI master = URI.create(kube.getMasterUrl().toString());
        String url = master.getScheme() + "://127.0.0.1:" + relay.port();
        return new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(kube.getConfiguration()).withMasterUrl(url)
                        .withRequestTimeout(5_000).withWatchReconnectInterval(200).build())
                .withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    KubernetesAgent.Options options(String node) {
        return new KubernetesAgent.Options(node, "", "", AGENT_NS, Duration.ofMinutes(10), Duration.ofSeconds(3),
                node + "-" + UUID.randomUUID().toString().substring(0, 6));
    }

    KubernetesAgent startAgent(String node) {
        KubernetesAgent a = KubernetesAgent.start(agentClient(), true, store, recorder, options(node));
        agents.add(a);
        return a;
    }

    /** Creates the (single) object of a YAML manifest in the API, in namespace default. */
    @SuppressWarnings("unchecked")
    <T extends CustomResource<?, ?>> T create(String yaml) {
        T o = (T) codec.read("test.yaml", yaml).get(0).object();
        if (o.getMetadata().getNamespace() == null) {
            o.getMetadata().setNamespace("default");
        }
        return kube.resource(o).create();
    }

    static String image(String name, String ref, String node) {
        return """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: %s}
                spec: {ref: "%s", nodeName: %s}
                """.formatted(name, ref, node);
    }

    static String container(String name, String image, String node) {
        return """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: %s}
                spec: {image: %s, command: [/bin/sleep, "60"], nodeName: %s}
                """.formatted(name, image, node);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable a : agents) {
            a.close();
        }
        relay.close();
        db.close();
    }
}
