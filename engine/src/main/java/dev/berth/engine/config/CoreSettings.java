package dev.berth.engine.config;

/** The engine's own top-level settings: where persistent data and runtime state live. */
public final class CoreSettings {
    private CoreSettings() {
    }

    public static final Setting<String> ROOT = Setting.at(SettingType.STRING, "root")
            .defaultValue("/var/lib/berth")
            .doc("Persistent data: content blobs, snapshots, the metadata database (meta.db).")
            .build();

    public static final Setting<String> STATE = Setting.at(SettingType.STRING, "state")
            .defaultValue("/run/berth")
            .doc("Runtime state that does not survive a reboot: task bundles, exit files, the API socket.")
            .build();
}
