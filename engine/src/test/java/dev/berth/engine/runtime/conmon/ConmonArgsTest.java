package dev.berth.engine.runtime.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConmonArgsTest {
    private static RuntimeOptions options(boolean systemd, long logMax) {
        return new RuntimeOptions(Path.of("/run/b"), Path.of("/var/log/b"), "/usr/sbin/runc", "/usr/bin/conmon", systemd,
                "", logMax, Clock.systemUTC());
    }

    private static List<String> args(boolean systemd, long logMax, boolean rotates) {
        return args(systemd, logMax, rotates, dev.berth.engine.runtime.TaskRuntime.Stdin.NULL);
    }

    private static List<String> args(boolean systemd, long logMax, boolean rotates,
            dev.berth.engine.runtime.TaskRuntime.Stdin stdin) {
        RuntimeOptions o = options(systemd, logMax);
        OciRuntimeCli cli = new OciRuntimeCli(o.runtimeBinary(), Path.of("/run/b/runc"), systemd);
        return ConmonLauncher.args(o, cli, "ns1", "web", Path.of("/run/b/tasks/ns1/web"),
                Path.of("/var/log/b/ns1/web.log"), Path.of("/run/b/exits/ns1"), Path.of("/run/b/s"), rotates, stdin);
    }

    private static String after(List<String> a, String flag) {
        return a.get(a.indexOf(flag) + 1);
    }

    @Test
    void cgroupfsCommandLine() {
        List<String> a = args(false, 1024, false);
        assertEquals("/usr/bin/conmon", a.get(0));
        assertEquals("web", after(a, "-c"));
        assertEquals("/usr/sbin/runc", after(a, "-r"));
        assertEquals("/run/b/tasks/ns1/web", after(a, "-b"));
        assertEquals("/run/b/tasks/ns1/web/init.pid", after(a, "-p"));
        assertEquals("/run/b/tasks/ns1/web/conmon.pid", after(a, "--conmon-pidfile"));
        assertEquals("k8s-file:/var/log/b/ns1/web.log", after(a, "-l"));
        assertEquals("/run/b/exits/ns1", after(a, "--exit-dir"));
        assertEquals("1024", after(a, "--log-size-max"));
        assertFalse(a.contains("--log-rotate"));
        assertFalse(a.contains("-s"));
        assertTrue(a.contains("--no-sync-log"));
        assertFalse(a.contains("--stdin"), "stdin is /dev/null unless asked for");
        assertTrue(args(false, 1024, false, dev.berth.engine.runtime.TaskRuntime.Stdin.PIPE).contains("--stdin"));
        assertEquals(List.of("--root=/run/b/runc/ns1", "--log=/run/b/tasks/ns1/web/log.json", "--log-format=json"),
                runtimeArgs(a));
    }

    @Test
    void systemdAndRotation() {
        List<String> a = args(true, 1024, true);
        assertTrue(a.contains("-s"));
        assertTrue(runtimeArgs(a).contains("--systemd-cgroup"));
        assertEquals("1", after(a, "--log-max-files"));
        List<String> unlimited = args(false, 0, true);
        assertFalse(unlimited.contains("--log-size-max") || unlimited.contains("--log-rotate"));
    }

    @Test
    void aTerminalTaskRunsConmonWithAConsoleAndStdin() {
        List<String> a = args(false, 0, false, dev.berth.engine.runtime.TaskRuntime.Stdin.TERMINAL);
        assertTrue(a.contains("-t"), a.toString());
        assertTrue(a.contains("--stdin"), a.toString());
        assertFalse(args(false, 0, false, dev.berth.engine.runtime.TaskRuntime.Stdin.PIPE).contains("-t"));
    }

    @Test
    void anExecOnATerminalHasItsOwnDirectoryAndTheNamedExecsPidFile() {
        RuntimeOptions o = options(false, 0);
        OciRuntimeCli cli = new OciRuntimeCli(o.runtimeBinary(), Path.of("/run/b/runc"), false);
        Path bundle = Path.of("/run/b/tasks/ns1/web");
        Path dir = ConmonTerminalExec.dir(bundle, "sh1");
        List<String> a = ConmonLauncher.execArgs(o, cli, "ns1", "web", "sh1", dir, ExecPids.file(bundle, "sh1"),
                dir.resolve("process.json"), Path.of("/run/b/s"));
        assertEquals("web", after(a, "-c"), "runc exec names the container");
        assertEquals("/run/b/tasks/ns1/web/exec-sh1.d", after(a, "-b"));
        assertEquals("/run/b/tasks/ns1/web/exec-sh1.pid", after(a, "-p"));
        assertEquals("/run/b/tasks/ns1/web/exec-sh1.d/exit", after(a, "--exit-dir"));
        assertEquals("k8s-file:/run/b/tasks/ns1/web/exec-sh1.d/log", after(a, "-l"));
        assertEquals("/run/b/tasks/ns1/web/exec-sh1.d/process.json", after(a, "--exec-process-spec"));
        assertTrue(a.containsAll(List.of("--exec", "-t", "--stdin")), a.toString());
        assertEquals("--root=/run/b/runc/ns1", runtimeArgs(a).get(0));
    }

    private static List<String> runtimeArgs(List<String> a) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals("--runtime-arg")) {
                out.add(a.get(i + 1));
            }
        }
        return Collections.unmodifiableList(out);
    }
}
