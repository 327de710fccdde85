package dev.berth.controller;

import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.config.Setting;
import dev.berth.reconcilers.image.Registries;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a reload of config.toml changes, setting by setting: each changed setting is either applied
 * at once ({@link #live()}: read at each use by the engine, the registry resolvers or the daemon's
 * own schedule, manifest watch and metrics endpoint) or waits for the next restart (everything the
 * engine, the runtime and the API sockets were opened with: root, state, snapshotter, SystemdCgroup,
 * BinaryName, conmon, log_dir, cgroup_parent, the API and gRPC addresses, Kubernetes mode, gc). Immutable.
 *
 * @param applied the changed settings now in force, as {@code name (old -> new)}
 * @param pending the changed settings that take effect at the next restart, as {@code name (old -> new)}
 */
public record ConfigChanges(List<String> applied, List<String> pending) {
    public ConfigChanges {
        applied = List.copyOf(applied);
        pending = List.copyOf(pending);
    }

    /** The settings a reload puts in force without a restart. */
    public static List<Setting<?>> live() {
        List<Setting<?>> live = new ArrayList<>(EngineSettings.live());
        live.addAll(Registries.LIVE);
        live.add(ControllerSettings.MANIFEST_DIR);
        live.add(ControllerSettings.RESYNC_INTERVAL);
        live.add(ControllerSettings.METRICS_ADDRESS);
        return live;
    }

    /** Every setting that differs between the running config and a freshly read one, sorted into the two lists. */
    public static ConfigChanges between(Config running, Config fresh) {
        List<Setting<?>> live = live();
        List<String> applied = new ArrayList<>();
        List<String> pending = new ArrayList<>();
        for (Setting<?> s : ControllerSettings.schema()) {
            Object before = running.get(s);
            Object after = fresh.get(s);
            if (!Objects.equals(before, after)) {
                (live.contains(s) ? applied : pending).add(s.name() + " (" + before + " -> " + after + ")");
            }
        }
        return new ConfigChanges(applied, pending);
    }

    /** These changes with {@code setting}'s moved from applied to pending (it could not be applied now). */
    public ConfigChanges refused(Setting<?> setting) {
        List<String> a = new ArrayList<>(applied);
        List<String> p = new ArrayList<>(pending);
        a.stream().filter(l -> l.startsWith(setting.name() + " (")).findFirst().ifPresent(l -> {
            a.remove(l);
            p.add(l);
        });
        return new ConfigChanges(a, p);
    }

    /** {@code running} with the {@link #live()} settings of {@code fresh}: what the daemon runs with after the reload. */
    public static Config merged(Config running, Config fresh) {
        Config c = running;
        for (Setting<?> s : live()) {
            c = c.withValueOf(s, fresh);
        }
        return c;
    }

    /** One log line's worth: what is in force now and what waits for {@code systemctl restart berth}. */
    public String describe() {
        if (applied.isEmpty() && pending.isEmpty()) {
            return "no setting changed";
        }
        String now = applied.isEmpty() ? "" : "applied now: " + String.join(", ", applied);
        String later = pending.isEmpty() ? "" : "these take effect at restart: " + String.join(", ", pending);
        return now + (now.isEmpty() || later.isEmpty() ? "" : "; ") + later;
    }
}
