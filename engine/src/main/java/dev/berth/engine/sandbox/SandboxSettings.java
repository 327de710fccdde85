package dev.berth.engine.sandbox;

import static dev.berth.engine.config.Layout.V2_CRI;
import static dev.berth.engine.config.Layout.V3_IMAGES;
import static dev.berth.engine.config.Layout.V3_RUNTIME;
import static dev.berth.engine.config.Layout.path;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import dev.berth.engine.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Settings of pod sandboxes: the pause image and the CNI plugin directories. */
public final class SandboxSettings {
    private SandboxSettings() {
    }

    public static final Setting<String> SANDBOX_IMAGE = Setting.moved(SettingType.STRING,
                    path(V2_CRI, "sandbox_image"), path(V3_IMAGES, "pinned_images", "sandbox"))
            .defaultValue("registry.k8s.io/pause:3.10")
            .doc("Image whose pause process holds a sandbox's namespaces (version 2: sandbox_image).")
            .build();

    public static final Setting<String> CNI_BIN_DIR = Setting.moved(SettingType.STRING,
                    path(V2_CRI, "cni", "bin_dir"), path(V3_RUNTIME, "cni", "bin_dir"))
            .defaultValue("/opt/cni/bin")
            .doc("Directory of CNI plugin binaries (Debian's containernetworking-plugins uses /usr/lib/cni).")
            .build();

    public static final Setting<String> CNI_CONF_DIR = Setting.moved(SettingType.STRING,
                    path(V2_CRI, "cni", "conf_dir"), path(V3_RUNTIME, "cni", "conf_dir"))
            .defaultValue("/etc/cni/net.d")
            .doc("Directory of CNI network configurations.")
            .build();

    public static final Setting<java.time.Duration> CNI_CHECK_INTERVAL = Setting.berth(SettingType.DURATION,
                    "cni_check_interval")
            .defaultValue(java.time.Duration.ofMinutes(5))
            .doc("How often a running sandbox's CNI attachments get the plugins' own CHECK (a process per plugin);"
                    + " the looks between (every resync) probe bridge, loopback, portmap and firewall from /proc, /sys and"
                    + " one iptables-save shared by all sandboxes, and CHECK only other plugins. 0s: CHECK at every look.")
            .validator(d -> d.isNegative() ? "must not be negative" : null)
            .build();

    /** Where Debian's containernetworking-plugins puts the plugins; searched after {@link #CNI_BIN_DIR}. */
    public static final Path DEBIAN_CNI_DIR = Path.of("/usr/lib/cni");

    /** The CNI plugin directories in search order: bin_dir, then Debian's directory. */
    public static List<Path> cniBinDirs(Config config) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(Path.of(config.get(CNI_BIN_DIR)));
        if (!dirs.contains(DEBIAN_CNI_DIR)) {
            dirs.add(DEBIAN_CNI_DIR);
        }
        return dirs;
    }

    public static List<Setting<?>> all() {
        return List.of(SANDBOX_IMAGE, CNI_BIN_DIR, CNI_CONF_DIR, CNI_CHECK_INTERVAL);
    }
}
