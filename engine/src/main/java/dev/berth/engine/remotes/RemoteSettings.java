package dev.berth.engine.remotes;

import static dev.berth.engine.config.Layout.V2_CRI;
import static dev.berth.engine.config.Layout.V3_IMAGES;
import static dev.berth.engine.config.Layout.path;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.util.List;

/** Settings of registry access. */
public final class RemoteSettings {
    private RemoteSettings() {
    }

    public static final Setting<String> CONFIG_PATH = Setting.moved(SettingType.STRING,
                    path(V2_CRI, "registry", "config_path"), path(V3_IMAGES, "registry", "config_path"))
            .defaultValue("/etc/berth/certs.d:/etc/containerd/certs.d:/etc/docker/certs.d")
            .doc("Colon-separated directories of per-registry hosts.toml files (mirrors, TLS, headers),\n"
                    + "one subdirectory per registry host plus an optional _default.")
            .build();

    public static final Setting<Long> MAX_CONCURRENT_DOWNLOADS = Setting.moved(SettingType.INTEGER,
                    path(V2_CRI, "max_concurrent_downloads"), path(V3_IMAGES, "max_concurrent_downloads"))
            .defaultValue(3L)
            .doc("Blobs fetched at the same time per pull.")
            .validator(Setting.atLeast(1))
            .build();

    public static final Setting<String> AUTH_FILE = Setting.berth(SettingType.STRING, "auth_file")
            .defaultValue("/etc/berth/auth.json")
            .doc("Registry credentials in docker config.json format ({\"auths\": {host: {auth|username|password}}}).")
            .build();

    public static final Setting<java.time.Duration> PULL_PROGRESS_TIMEOUT = Setting.moved(SettingType.DURATION,
                    path(V2_CRI, "image_pull_progress_timeout"), path(V3_IMAGES, "image_pull_progress_timeout"))
            .defaultValue(java.time.Duration.ofSeconds(30))
            .doc("A blob download that receives less than 64 KiB in this long (stalled or trickling) is dropped\n"
                    + "and resumed with an HTTP Range request; after 3 resumes without progress, or 8 stalls in all,\n"
                    + "the pull fails naming the registry, the blob and the stall. containerd's default is 5m, after\n"
                    + "which it cancels the pull.")
            .validator(d -> d.isNegative() || d.isZero() ? "must be positive" : null)
            .build();

    public static List<Setting<?>> all() {
        return List.of(CONFIG_PATH, MAX_CONCURRENT_DOWNLOADS, AUTH_FILE, PULL_PROGRESS_TIMEOUT);
    }
}
