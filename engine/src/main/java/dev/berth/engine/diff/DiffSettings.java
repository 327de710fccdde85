package dev.berth.engine.diff;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.util.List;

/** Settings of layer application. */
public final class DiffSettings {
    private DiffSettings() {
    }

    public static final Setting<Long> MAX_LAYER_UNPACKED_SIZE =
            Setting.berth(SettingType.INTEGER, "max_layer_unpacked_size")
                    .defaultValue(32L * 1024 * 1024 * 1024)
                    .doc("Bytes one layer may expand to when applied; bounds decompression bombs.")
                    .validator(Setting.atLeast(1))
                    .build();

    public static final Setting<Long> MAX_CONCURRENT_UNPACKS =
            Setting.berth(SettingType.INTEGER, "max_concurrent_unpacks")
                    .defaultValue(0L)
                    .doc("Layers of one image applied at the same time with overlayfs (0: one per CPU; 1: one after "
                            + "another, as containerd does by default). The result is the same either way.")
                    .validator(Setting.atLeast(0))
                    .build();

    public static List<Setting<?>> all() {
        return List.of(MAX_LAYER_UNPACKED_SIZE, MAX_CONCURRENT_UNPACKS);
    }
}
