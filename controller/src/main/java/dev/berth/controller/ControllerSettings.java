package dev.berth.controller;

import dev.berth.controller.kubernetes.KubernetesSettings;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Settings of the daemon process: its API socket, metrics endpoint, spec sources and schedules. */
public final class ControllerSettings {
    private ControllerSettings() {
    }

    public static final Setting<String> API_ADDRESS = Setting.berth(SettingType.STRING, "api_address")
            .defaultValue("/run/berth/berth.sock")
            .doc("Unix socket of Berth's local API (HTTP/JSON; the berth CLI and curl --unix-socket use it).")
            .build();

    public static final Setting<String> GRPC_ADDRESS = Setting.at(SettingType.STRING, "grpc", "address")
            .defaultValue("/run/berth/containerd.sock")
            .doc("Unix socket of containerd's gRPC API (ctr --address); when unset, containerd.sock in the state directory.")
            .build();

    public static final Setting<String> METRICS_ADDRESS = Setting.at(SettingType.STRING, "metrics", "address")
            .defaultValue("")
            .doc("host:port for Prometheus metrics; empty disables the endpoint.")
            .build();

    public static final Setting<Boolean> METRICS_GRPC_HISTOGRAM = Setting.at(SettingType.BOOLEAN, "metrics", "grpc_histogram")
            .defaultValue(false)
            .doc("containerd's key: also export grpc_server_handling_seconds, the per-method gRPC handling-time histograms.")
            .build();

    public static final Setting<String> MANIFEST_DIR = Setting.berth(SettingType.STRING, "manifest_dir")
            .defaultValue("/etc/berth/manifests")
            .doc("Directory of YAML specs the daemon keeps the node in line with (GitOps source).")
            .build();

    public static final Setting<Duration> RESYNC_INTERVAL = Setting.berth(SettingType.DURATION, "resync_interval")
            .defaultValue(Duration.ofSeconds(30))
            .doc("How often every object is reconciled even without a change, to repair drift.")
            .validator(d -> d.compareTo(Duration.ofSeconds(1)) >= 0 ? null : "must be at least 1s")
            .build();

    public static final Setting<Long> RECONCILE_WORKERS = Setting.berth(SettingType.INTEGER, "reconcile_workers")
            .defaultValue(0L)
            .doc("Reconciles run at once (objects in flight); 0 picks 4 per CPU, at least 4 and at most 32: a reconcile"
                    + " mostly waits for the processes it starts (CNI plugins, conmon, runc) and for fsync.")
            .validator(n -> n >= 0 && n <= 256 ? null : "must be 0 (from the CPU count) or 1..256")
            .build();

    /** The reconcile worker count {@link #RECONCILE_WORKERS} asks for, with 0 resolved from {@code cpus}. */
    public static int reconcileWorkers(long configured, int cpus) {
        return configured > 0 ? (int) configured : Math.max(4, Math.min(32, 4 * cpus));
    }

    /** Every setting Berth reads, engine first, in {@code berth config default} order. */
    public static List<Setting<?>> schema() {
        List<Setting<?>> all = new ArrayList<>(EngineSettings.all());
        all.addAll(List.of(API_ADDRESS, GRPC_ADDRESS, METRICS_ADDRESS, METRICS_GRPC_HISTOGRAM, MANIFEST_DIR, RESYNC_INTERVAL,
                RECONCILE_WORKERS));
        all.addAll(KubernetesSettings.all());
        return all;
    }
}
