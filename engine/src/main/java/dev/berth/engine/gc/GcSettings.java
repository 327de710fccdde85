package dev.berth.engine.gc;

import dev.berth.engine.config.Setting;
import dev.berth.engine.config.SettingType;
import java.time.Duration;
import java.util.List;

/** Settings of the garbage collection scheduler, at containerd's keys and defaults. */
public final class GcSettings {
    private GcSettings() {
    }

    private static final String SECTION = "io.containerd.gc.v1.scheduler";

    public static final Setting<Double> PAUSE_THRESHOLD = Setting.at(SettingType.FLOAT, "plugins", SECTION, "pause_threshold")
            .defaultValue(0.02)
            .doc("Largest share of time the store may be paused for collection.")
            .validator(v -> v > 0 && v <= 0.5 ? null : "must be above 0 and at most 0.5")
            .build();

    public static final Setting<Long> DELETION_THRESHOLD = Setting.at(SettingType.INTEGER, "plugins", SECTION, "deletion_threshold")
            .defaultValue(0L)
            .doc("Deletions that trigger a collection; 0 means deletions alone never trigger one.")
            .validator(Setting.atLeast(0))
            .build();

    public static final Setting<Long> MUTATION_THRESHOLD = Setting.at(SettingType.INTEGER, "plugins", SECTION, "mutation_threshold")
            .defaultValue(100L)
            .doc("Database mutations that trigger a collection.")
            .validator(Setting.atLeast(0))
            .build();

    public static final Setting<Duration> SCHEDULE_DELAY = Setting.at(SettingType.DURATION, "plugins", SECTION, "schedule_delay")
            .defaultValue(Duration.ZERO)
            .doc("Delay between a trigger and the collection it schedules.")
            .build();

    public static final Setting<Duration> STARTUP_DELAY = Setting.at(SettingType.DURATION, "plugins", SECTION, "startup_delay")
            .defaultValue(Duration.ofMillis(100))
            .doc("Delay before the first collection after start.")
            .build();

    public static final Setting<Duration> MAX_INTERVAL = Setting.berth(SettingType.DURATION, "gc_max_interval")
            .defaultValue(Duration.ofHours(1))
            .doc("Longest time without a collection, so an idle node still reaps expired leases and stale "
                    + "ingests (containerd never runs idle); 0s disables.")
            .build();

    public static List<Setting<?>> all() {
        return List.of(PAUSE_THRESHOLD, DELETION_THRESHOLD, MUTATION_THRESHOLD, SCHEDULE_DELAY, STARTUP_DELAY,
                MAX_INTERVAL);
    }
}
