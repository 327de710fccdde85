package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a forwarded command line carries to the daemon: file options made absolute (the daemon has
 * another working directory), and {@code -f} left alone where it means --force or --follow.
 */
class ForwardedPathsTest {
    private static String abs(String p) {
        return Path.of(p).toAbsolutePath().toString();
    }

    @Test
    void fileOptionsBecomeAbsoluteAndForceOrFollowStayAsTheyAre() {
        assertEquals(List.of("apply", "-f", abs("m.yaml")), ThinClient.absolutized(new String[] {"apply", "-f", "m.yaml"}));
        assertEquals(List.of("-c", abs("c.toml"), "containers", "rm", "-f", "web"),
                ThinClient.absolutized(new String[] {"-c", "c.toml", "containers", "rm", "-f", "web"}));
        assertEquals(List.of("logs", "-f", "web"), ThinClient.absolutized(new String[] {"logs", "-f", "web"}));
        assertEquals(List.of("run", "-d", "--rootfs", abs("rootfs"), "web", "sh"),
                ThinClient.absolutized(new String[] {"run", "-d", "--rootfs", "rootfs", "web", "sh"}));
    }
}
