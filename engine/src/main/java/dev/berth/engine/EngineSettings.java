package dev.berth.engine;

import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.config.CoreSettings;
import dev.berth.engine.config.Setting;
import dev.berth.engine.diff.DiffSettings;
import dev.berth.engine.gc.GcSettings;
import dev.berth.engine.hostpath.HostPathSettings;
import dev.berth.engine.remotes.RemoteSettings;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.sandbox.SandboxSettings;
import dev.berth.engine.snapshots.SnapshotSettings;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's own top-level settings, and the list of every engine setting in the order
 * {@code berth config default} prints them. Each component declares its settings next to its code;
 * this class only collects them.
 */
public final class EngineSettings {
    private EngineSettings() {
    }

    /** See {@link CoreSettings#ROOT}. */
    public static final Setting<String> ROOT = CoreSettings.ROOT;

    /** See {@link CoreSettings#STATE}. */
    public static final Setting<String> STATE = CoreSettings.STATE;

    /**
     * The engine settings read at each use (a new sandbox, a new pull), so that
     * {@link Engine#reconfigure} puts a changed value in force at once: the pause image, the CNI
     * plugin and network list directories, and how many layers a pull fetches at a time. Every other
     * engine setting is taken when the engine opens, and changes at the next start.
     */
    public static List<Setting<?>> live() {
        return List.of(SandboxSettings.SANDBOX_IMAGE, SandboxSettings.CNI_BIN_DIR, SandboxSettings.CNI_CONF_DIR,
                RemoteSettings.MAX_CONCURRENT_DOWNLOADS);
    }

    /** Every engine setting, top-level first. */
    public static List<Setting<?>> all() {
        List<Setting<?>> all = new ArrayList<>(List.of(ROOT, STATE));
        all.addAll(SandboxSettings.all());
        all.addAll(SnapshotSettings.all());
        all.addAll(RemoteSettings.all());
        all.addAll(RuntimeSettings.all());
        all.addAll(CgroupSettings.all());
        all.addAll(DiffSettings.all());
        all.addAll(GcSettings.all());
        all.addAll(HostPathSettings.all());
        return all;
    }
}
