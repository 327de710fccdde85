package dev.berth.engine.runtime.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.runtime.TaskRuntimeContract;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The TaskRuntime contract with runc under conmon and the systemd driver (SystemdCgroup = true): each
 * task is the scope {@code berth-contract-<id>.scope} in system.slice, whose properties systemd
 * reports as the limits asked for and which is gone once the task is deleted. Needs systemd as PID 1,
 * so on the build machines it is skipped here and run by PackageOnSystemdIT inside its booted
 * Debian, against the installed berth's jars (docs/packaging.md).
 */
class RuncSystemdRuntimeIT extends TaskRuntimeContract {
    @Override
    protected Opened open() throws Exception {
        String init = Files.readString(Path.of("/proc/1/comm"), StandardCharsets.UTF_8).trim();
        Assumptions.assumeTrue(init.equals("systemd") && Files.isDirectory(Path.of("/run/systemd/system")),
                "needs systemd as PID 1 (here: " + init + "); PackageOnSystemdIT runs it inside a booted machine");
        return new RuntimeFixture("runc", true);
    }

    @Override
    protected void assertDriverView(String id, Resources limits) throws Exception {
        String unit = "berth-" + NS + "-" + id + ".scope";
        if (limits == null) {
            assertEquals("inactive", show(unit, "ActiveState"), unit + " is stopped with its task");
            return;
        }
        assertEquals("active", show(unit, "ActiveState"), unit);
        assertEquals("system.slice", show(unit, "Slice"), unit);
        if (limits.memoryLimit() != null) {
            assertEquals(String.valueOf(limits.memoryLimit()), show(unit, "MemoryLimit"), unit + " MemoryLimit");
        }
        if (limits.pidsLimit() != null) {
            assertEquals(String.valueOf(limits.pidsLimit()), show(unit, "TasksMax"), unit + " TasksMax");
        }
    }

    private static String show(String unit, String property) throws Exception {
        Process p = new ProcessBuilder("systemctl", "show", "-p", property, "--value", unit).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), "systemctl show " + unit + ": " + out);
        return out;
    }
}
