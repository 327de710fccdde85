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

    public static List<Setting<?>> all() {
        return List.of(MAX_LAYER_UNPACKED_SIZE);
    }
}
