package dev.berth.engine.runtime.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import dev.berth.engine.sys.Sys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConmonConsoleTest {
    @TempDir
    Path tmp;

    private static RuntimeSpec spec(Boolean terminal) {
        return RuntimeSpec.fromJson(("{\"ociVersion\":\"1.0.2\",\"process\":{" + (terminal == null ? ""
                : "\"terminal\":" + terminal + ",") + "\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"}}")
                .getBytes(StandardCharsets.UTF_8), "test");
    }

    @Test
    void theSpecsTerminalAndTheAskedForOneMustAgree() {
        ConmonConsole.checkAgrees("ns/a", spec(true), TaskRuntime.Stdin.TERMINAL);
        ConmonConsole.checkAgrees("ns/a", spec(null), TaskRuntime.Stdin.PIPE);
        ConmonConsole.checkAgrees("ns/a", spec(false), TaskRuntime.Stdin.NULL);
        for (var bad : List.of(new Object[] {spec(false), TaskRuntime.Stdin.TERMINAL},
                new Object[] {spec(true), TaskRuntime.Stdin.PIPE})) {
            BerthException e = assertThrows(BerthException.class,
                    () -> ConmonConsole.checkAgrees("ns/a", (RuntimeSpec) bad[0], (TaskRuntime.Stdin) bad[1]));
            assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        }
    }

    @Test
    void aResizeIsOneControlLineOfTypeOneHeightThenWidth() throws Exception {
        Path ctl = tmp.resolve("ctl");
        Sys.mknod(ctl, Sys.S_IFIFO | 0600, 0, 0);
        int reader = Sys.openFifoReader(ctl);
        try {
            ConmonConsole.resize(tmp, "task ns/a", 120, 40);
            byte[] buf = new byte[64];
            int n = Sys.readFifo(reader, buf, ctl.toString());
            assertEquals("1 40 120\n", new String(buf, 0, n, StandardCharsets.US_ASCII));
        } finally {
            Sys.close(reader);
        }
        assertEquals(ErrorCategory.INVALID_ARGUMENT, assertThrows(BerthException.class,
                () -> ConmonConsole.resize(tmp, "task ns/a", 0, 40)).category());
    }

    @Test
    void noReaderMeansNoTerminalLeftToResize() throws Exception {
        Sys.mknod(tmp.resolve("ctl"), Sys.S_IFIFO | 0600, 0, 0);
        // conmon gone: the write end does not wait and the resize is nothing to do
        ConmonConsole.resize(tmp, "task ns/a", 80, 24);
    }
}
