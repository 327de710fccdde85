package dev.berth.engine.runtime;

import static dev.berth.engine.config.Layout.V2_CRI;
import static dev.berth.engine.config.Layout.V3_RUNTIME;
import static dev.berth.engine.config.Layout.path;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.util.List;

/** Settings of the task runtime (runc or crun under conmon) and container logs. */
public final class RuntimeSettings {
    private RuntimeSettings() {
    }

    public static final Setting<Boolean> SYSTEMD_CGROUP = Setting.moved(SettingType.BOOLEAN,
                    path(V2_CRI, "containerd", "runtimes", "runc", "options", "SystemdCgroup"),
                    path(V3_RUNTIME, "containerd", "runtimes", "runc", "options", "SystemdCgroup"))
            .defaultValue(false)
            .doc("Let systemd manage container cgroups (runc --systemd-cgroup); needs systemd as PID 1.")
            .build();

    public static final Setting<String> BINARY_NAME = Setting.moved(SettingType.STRING,
                    path(V2_CRI, "containerd", "runtimes", "runc", "options", "BinaryName"),
                    path(V3_RUNTIME, "containerd", "runtimes", "runc", "options", "BinaryName"))
            .defaultValue("")
            .doc("OCI runtime binary; empty means runc from PATH (crun works too).")
            .build();

    public static final Setting<String> CONMON = Setting.berth(SettingType.STRING, "conmon")
            .defaultValue("conmon")
            .doc("The conmon monitor binary that supervises each container.")
            .build();

    public static final Setting<String> LOG_DIR = Setting.berth(SettingType.STRING, "log_dir")
            .defaultValue("/var/log/berth")
            .doc("Container logs in the CRI format: <log_dir>/<namespace>/<id>.log.")
            .build();

    public static final Setting<Long> LOG_MAX_SIZE = Setting.berth(SettingType.INTEGER, "log_max_size")
            .defaultValue(10L * 1024 * 1024)
            .doc("Bytes a container log may grow to before conmon rotates it; 0 means no limit.")
            .validator(Setting.atLeast(0))
            .build();

    public static List<Setting<?>> all() {
        return List.of(SYSTEMD_CGROUP, BINARY_NAME, CONMON, LOG_DIR, LOG_MAX_SIZE);
    }
}
