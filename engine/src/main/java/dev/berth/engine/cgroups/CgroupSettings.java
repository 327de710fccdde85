package dev.berth.engine.cgroups;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.util.List;

/** Settings of container cgroups. */
public final class CgroupSettings {
    private CgroupSettings() {
    }

    public static final Setting<String> CGROUP_PARENT = Setting.berth(SettingType.STRING, "cgroup_parent")
            .defaultValue("")
            .doc("cgroupfs parent for containers: a container's cgroup is <cgroup_parent>/<namespace>/<id>.")
            .validator(v -> v.isEmpty() || v.startsWith("/") ? null : "must be empty or an absolute path such as /berth")
            .build();

    public static List<Setting<?>> all() {
        return List.of(CGROUP_PARENT);
    }
}
