package dev.berth.controller.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.ControllerSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.ConfigLoader;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent's manifests deserialize into valid Kubernetes objects and say what the agent needs: the
 * RBAC rules cover every call the agent makes (and no more), the DaemonSet is privileged with the
 * host paths and the node name, the ConfigMap's config.toml loads and turns Kubernetes mode on.
 */
class ManifestsTest {
    static final Path DIR = Path.of("..", "manifests");

    static List<HasMetadata> all() throws IOException {
        List<HasMetadata> out = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 4, "manifests found: " + files);
        for (Path f : files) {
            try (InputStream in = Files.newInputStream(f)) {
                Object o = Serialization.unmarshal(in);
                List<HasMetadata> items = o instanceof List<?> l ? l.stream().map(HasMetadata.class::cast).toList()
                        : o instanceof KubernetesList kl ? kl.getItems() : List.of((HasMetadata) o);
                for (HasMetadata h : items) {
                    assertNotNull(h.getMetadata().getName(), f + ": every object is named");
                    assertFalse(h.getClass().getSimpleName().startsWith("Generic"), f + ": known kind " + h.getKind());
                }
                out.addAll(items);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static <T extends HasMetadata> T only(List<HasMetadata> all, Class<T> type) {
        List<HasMetadata> m = all.stream().filter(type::isInstance).toList();
        assertEquals(1, m.size(), type.getSimpleName());
        return (T) m.get(0);
    }

    static Map<String, List<String>> verbs(List<PolicyRule> rules) {
        return rules.stream().flatMap(r -> r.getResources().stream().map(res -> Map.entry(res, r.getVerbs())))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @Test
    void rbacGrantsWhatTheAgentUsesAndNoMore() throws IOException {
        List<HasMetadata> all = all();
        Map<String, List<String>> cluster = verbs(only(all, ClusterRole.class).getRules());
        for (String kind : List.of("images", "snapshots", "containers", "sandboxes")) {
            assertTrue(cluster.get(kind).containsAll(List.of("get", "list", "watch", "patch")), kind);
            assertFalse(cluster.get(kind).contains("delete"), kind + ": the agent never deletes objects");
            assertFalse(cluster.get(kind).contains("create"), kind + ": the agent never creates objects");
            assertTrue(cluster.get(kind + "/status").containsAll(List.of("update", "patch")), kind + "/status");
            assertTrue(cluster.get(kind + "/finalizers").contains("update"), kind + "/finalizers");
        }
        assertTrue(cluster.get("events").containsAll(List.of("create", "update")));
        assertFalse(cluster.containsKey("leases"), "leases only in the agent's namespace");
        Role lease = only(all, Role.class);
        assertEquals("berth-system", lease.getMetadata().getNamespace());
        assertTrue(verbs(lease.getRules()).get("leases").containsAll(List.of("get", "create", "update")));
        assertFalse(all.stream().anyMatch(h -> h.getMetadata().getName().contains("*")));
    }

    @Test
    void daemonSetRunsPrivilegedWithTheHostPathsAndTheNodeName() throws IOException {
        DaemonSet ds = only(all(), DaemonSet.class);
        PodSpec pod = ds.getSpec().getTemplate().getSpec();
        assertTrue(pod.getHostPID());
        assertEquals("berth-agent", pod.getServiceAccountName());
        Container c = pod.getContainers().get(0);
        assertTrue(c.getSecurityContext().getPrivileged());
        assertTrue(c.getArgs().contains("--kubernetes"));
        assertTrue(c.getEnv().stream().anyMatch(e -> e.getName().equals("NODE_NAME")
                && e.getValueFrom().getFieldRef().getFieldPath().equals("spec.nodeName")));
        Map<String, VolumeMount> mounts = c.getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getMountPath, m -> m));
        for (String p : List.of("/var/lib/berth", "/run/berth", "/var/log/berth", "/etc/berth", "/sys/fs/cgroup",
                "/run/netns")) {
            assertTrue(mounts.containsKey(p), p);
            String vol = mounts.get(p).getName();
            assertEquals(p, pod.getVolumes().stream().filter(v -> v.getName().equals(vol)).findFirst().orElseThrow()
                    .getHostPath().getPath(), p + " is the host's");
        }
        for (String p : List.of("/var/lib/berth", "/run/berth", "/run/netns")) {
            assertEquals("Bidirectional", mounts.get(p).getMountPropagation(), p + ": mounts made here reach the host");
        }
        assertEquals(ds.getSpec().getSelector().getMatchLabels(), ds.getSpec().getTemplate().getMetadata().getLabels());
    }

    @Test
    void probesAndScrapeAnnotationsUseTheConfiguredMetricsAddress() throws IOException {
        ConfigMap cm = only(all(), ConfigMap.class);
        Config config = new ConfigLoader(ControllerSettings.schema())
                .parse(cm.getData().get("config.toml"), Path.of("configmap.yaml"));
        String address = config.get(ControllerSettings.METRICS_ADDRESS);
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        DaemonSet ds = only(all(), DaemonSet.class);
        Container c = ds.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("/healthz", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals(port, c.getLivenessProbe().getHttpGet().getPort().getIntVal());
        assertEquals("/readyz", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals(port, c.getReadinessProbe().getHttpGet().getPort().getIntVal());
        assertTrue(c.getPorts().stream().anyMatch(p -> p.getName().equals("metrics") && p.getContainerPort() == port));
        Map<String, String> a = ds.getSpec().getTemplate().getMetadata().getAnnotations();
        assertEquals("true", a.get("prometheus.io/scrape"));
        assertEquals(Integer.toString(port), a.get("prometheus.io/port"));
        assertEquals("/v1/metrics", a.get("prometheus.io/path"));
    }

    @Test
    void grafanaDashboardUsesOnlyDocumentedMetricNames() throws IOException {
        String dashboard = Files.readString(DIR.resolve("grafana/berth-node.json"));
        String docs = Files.readString(Path.of("..", "docs", "metrics.md"));
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\\b((?:container|controller_runtime|workqueue|berth)_[a-z_]+)").matcher(dashboard);
        int n = 0;
        while (m.find()) {
            String name = m.group(1).replaceAll("_(bucket|count|sum)$", "");
            assertTrue(docs.contains("`" + name + "`"), name + " is used by the dashboard but not in docs/metrics.md");
            n++;
        }
        assertTrue(n > 20, "the dashboard queries metrics: " + n);
    }

    @Test
    void configMapHoldsAConfigTomlThatEnablesKubernetesMode() throws IOException {
        ConfigMap cm = only(all(), ConfigMap.class);
        Config config = new ConfigLoader(ControllerSettings.schema())
                .parse(cm.getData().get("config.toml"), Path.of("configmap.yaml"));
        assertTrue(config.get(KubernetesSettings.ENABLED));
        assertEquals("", config.get(KubernetesSettings.NODE_NAME), "node name comes from the downward API");
        DaemonSet ds = only(all(), DaemonSet.class);
        Container c = ds.getSpec().getTemplate().getSpec().getContainers().get(0);
        String configArg = c.getArgs().get(c.getArgs().indexOf("--config") + 1);
        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> configArg.equals(m.getMountPath() + "/config.toml")),
                "the DaemonSet mounts the ConfigMap where --config points");
    }
}
