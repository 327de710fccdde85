package dev.berth.controller.kubernetes;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.time.Duration;
import java.util.List;

/**
 * Settings of Kubernetes mode, in Berth's section {@code [plugins."dev.berth.v1"]}. Empty strings
 * mean "work it out": the node name from the downward-API variable {@code NODE_NAME} (else the host
 * name), the kubeconfig from the usual places (in-cluster service account, {@code KUBECONFIG},
 * {@code ~/.kube/config}), the agent namespace from {@code POD_NAMESPACE}.
 */
public final class KubernetesSettings {
    private KubernetesSettings() {
    }

    public static final Setting<Boolean> ENABLED = Setting.berth(SettingType.BOOLEAN, "kubernetes")
            .defaultValue(false)
            .doc("Take specs from the Kubernetes API (Image, Snapshot, Container, Sandbox for this node) "
                    + "and write their status back; `berth daemon --kubernetes` turns it on too.")
            .build();

    public static final Setting<String> NODE_NAME = Setting.berth(SettingType.STRING, "node_name")
            .defaultValue("")
            .doc("This node's name as in spec.nodeName; empty = $NODE_NAME, else the host name.")
            .build();

    public static final Setting<String> KUBECONFIG = Setting.berth(SettingType.STRING, "kubeconfig")
            .defaultValue("")
            .doc("Kubeconfig file; empty = in-cluster service account, $KUBECONFIG or ~/.kube/config.")
            .build();

    public static final Setting<String> NAMESPACE = Setting.berth(SettingType.STRING, "kubernetes_namespace")
            .defaultValue("")
            .doc("Only watch objects in this namespace; empty = all namespaces.")
            .build();

    public static final Setting<String> LABEL_SELECTOR = Setting.berth(SettingType.STRING, "kubernetes_label_selector")
            .defaultValue("")
            .doc("Only watch objects matching this label selector (e.g. berth.dev/pool=edge); empty = all.")
            .build();

    public static final Setting<String> AGENT_NAMESPACE = Setting.berth(SettingType.STRING, "agent_namespace")
            .defaultValue("")
            .doc("Namespace of the agent's Lease (berth-<node>); empty = $POD_NAMESPACE, else berth-system.")
            .build();

    public static final Setting<Duration> RESYNC = Setting.berth(SettingType.DURATION, "kubernetes_resync")
            .defaultValue(Duration.ofMinutes(5))
            .doc("How often the informers replay their cache (catches missed status writes).")
            .validator(d -> d.isNegative() ? "must not be negative" : null)
            .build();

    public static final Setting<Duration> LEASE_DURATION = Setting.berth(SettingType.DURATION, "lease_duration")
            .defaultValue(Duration.ofSeconds(30))
            .doc("How long the node Lease stays held without renewal; a second agent waits that long.")
            .validator(d -> d.compareTo(Duration.ofSeconds(2)) >= 0 ? null : "must be at least 2s")
            .build();

    /** Every Kubernetes-mode setting, in {@code berth config default} order. */
    public static List<Setting<?>> all() {
        return List.of(ENABLED, NODE_NAME, KUBECONFIG, NAMESPACE, LABEL_SELECTOR, AGENT_NAMESPACE, RESYNC,
                LEASE_DURATION);
    }
}
