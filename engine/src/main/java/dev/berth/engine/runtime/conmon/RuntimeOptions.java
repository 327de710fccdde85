package dev.berth.engine.runtime.conmon;

import dev.berth.engine.config.CoreSettings;
import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.RuntimeSettings;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The resolved settings of a {@link ConmonRuntime}. Immutable.
 *
 * @param runtimeBinary absolute path of runc or crun
 * @param conmonBinary  absolute path of conmon
 * @param logMaxSize    bytes per log file before conmon rotates it (0: unlimited)
 */
public record RuntimeOptions(Path state, Path logDir, String runtimeBinary, String conmonBinary, boolean systemdCgroup,
        String cgroupParent, long logMaxSize, Clock clock) {

    /** From the effective config; UNAVAILABLE when a binary is missing from PATH. */
    public static RuntimeOptions from(Config config) {
        return from(config, Clock.systemUTC());
    }

    /** The options config.toml gives, with log rotation reading the time from {@code clock}. */
    public static RuntimeOptions from(Config config, Clock clock) {
        String bin = config.get(RuntimeSettings.BINARY_NAME);
        return new RuntimeOptions(Path.of(config.get(CoreSettings.STATE)), Path.of(config.get(RuntimeSettings.LOG_DIR)),
                which(bin.isEmpty() ? "runc" : bin, "BinaryName"),
                which(config.get(RuntimeSettings.CONMON), "plugins.\"dev.berth.v1\".conmon"),
                config.get(RuntimeSettings.SYSTEMD_CGROUP), config.get(CgroupSettings.CGROUP_PARENT),
                config.get(RuntimeSettings.LOG_MAX_SIZE), clock);
    }

    public RuntimeOptions withRuntimeBinary(String binary) {
        return new RuntimeOptions(state, logDir, which(binary, "BinaryName"), conmonBinary, systemdCgroup, cgroupParent,
                logMaxSize, clock);
    }

    /** Resolves a command name against PATH (absolute names are checked as they are). */
    static String which(String name, String settingName) {
        if (name.contains("/")) {
            if (Files.isExecutable(Path.of(name))) {
                return name;
            }
        } else {
            String path = System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                    return p.toAbsolutePath().toString();
                }
            }
        }
        throw new BerthException(ErrorCategory.UNAVAILABLE, "'" + name + "' (config " + settingName
                + ") is not an executable on PATH; install it (Debian: apt-get install " + name.replaceAll(".*/", "")
                + ") or set " + settingName + " to its absolute path");
    }
}
