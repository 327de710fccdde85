package dev.berth.engine.hostpath;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.util.List;

/** Settings of the host path policy ({@link HostPathPolicy}). */
public final class HostPathSettings {
    private HostPathSettings() {
    }

    public static final Setting<List<String>> MOUNT_PATH_ROOTS =
            Setting.berth(SettingType.STRING_LIST, "mount_path_roots")
                    .defaultValue(List.of("/mnt", "/media", "/srv"))
                    .doc("Directories under which a Snapshot's spec.mountPath may lie. System directories and "
                            + "Berth's own (root, state, log_dir, manifest_dir) and their parents stay refused.")
                    .validator(HostPathSettings::absolutePaths)
                    .build();

    public static final Setting<Boolean> REFUSE_SYSTEM_BIND_SOURCES =
            Setting.berth(SettingType.BOOLEAN, "refuse_system_bind_sources")
                    .defaultValue(false)
                    .doc("Refuse bind mounts whose source is a host system directory (/etc, /usr, /dev, ...); "
                            + "false only warns. Sources in Berth's own directories are always refused.")
                    .build();

    public static List<Setting<?>> all() {
        return List.of(MOUNT_PATH_ROOTS, REFUSE_SYSTEM_BIND_SOURCES);
    }

    private static String absolutePaths(List<String> paths) {
        for (String p : paths) {
            if (!p.startsWith("/")) {
                return "\"" + p + "\" is not an absolute path";
            }
        }
        return null;
    }
}
