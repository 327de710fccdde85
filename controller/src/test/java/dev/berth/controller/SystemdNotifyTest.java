package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notify protocol against a real unix datagram socket (netty's epoll transport receives, as
 * systemd's would); PackageOnSystemdIT checks it against systemd itself.
 */
class SystemdNotifyTest {
    @TempDir
    Path tmp;

    @Test
    void sendsEachStateAsOneDatagram() throws Exception {
        assumeTrue(NotifySocket.available(), "needs netty's epoll transport");
        Path socket = tmp.resolve("notify.sock");
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        NotifySocket receiver = NotifySocket.bind(socket, got::add);
        try {
            SystemdNotify n = new SystemdNotify(socket.toString());
            assertTrue(n.enabled());
            n.ready("serving on /run/berth/berth.sock");
            n.reloading();
            n.stopping();
            assertEquals("READY=1\nSTATUS=serving on /run/berth/berth.sock\nMAINPID=" + ProcessHandle.current().pid(),
                    got.poll(10, TimeUnit.SECONDS));
            assertEquals("RELOADING=1\nSTATUS=reloading config", got.poll(10, TimeUnit.SECONDS));
            assertEquals("STOPPING=1\nSTATUS=stopping", got.poll(10, TimeUnit.SECONDS));
        } finally {
            receiver.close();
        }
    }

    @Test
    void withoutNotifySocketNothingIsSentAndAGoneSocketIsNoError() {
        assertFalse(new SystemdNotify(null).enabled());
        assertFalse(new SystemdNotify("").enabled());
        new SystemdNotify(null).ready("x");
        // systemd gone: logged, not thrown
        new SystemdNotify(tmp.resolve("absent.sock").toString()).stopping();
        new SystemdNotify("@berth-test-absent-" + ProcessHandle.current().pid()).stopping();
    }
}
