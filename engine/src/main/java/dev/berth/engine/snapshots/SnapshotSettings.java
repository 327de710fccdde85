package dev.berth.engine.snapshots;

import static dev.berth.engine.config.Layout.V2_CRI;
import static dev.berth.engine.config.Layout.V3_IMAGES;
import static dev.berth.engine.config.Layout.path;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.util.List;

/** Settings of the snapshotters. */
public final class SnapshotSettings {
    private SnapshotSettings() {
    }

    public static final Setting<String> SNAPSHOTTER = Setting.moved(SettingType.STRING,
                    path(V2_CRI, "containerd", "snapshotter"), path(V3_IMAGES, "snapshotter"))
            .defaultValue("overlayfs")
            .doc("Default snapshotter: overlayfs (layers shared through overlay mounts) or native (full copies).")
            .validator(Setting.oneOf("overlayfs", "native"))
            .build();

    public static List<Setting<?>> all() {
        return List.of(SNAPSHOTTER);
    }
}
