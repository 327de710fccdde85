package dev.berth.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.testing.HostCleanup;
import dev.berth.engine.testing.RootOnly;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth daemon} as a {@code Type=notify} unit sees it: the real daemon process started with
 * {@code $NOTIFY_SOCKET} naming a datagram socket of the test's (systemd's side of sd_notify(3)).
 * READY=1 comes only once both API sockets accept connections and the store is open (checked the
 * moment each datagram arrives, before the test goes on); SIGHUP gives RELOADING=1 then READY=1 with
 * the reload's status; SIGTERM gives STOPPING=1 and then the process ends and removes its socket.
 * PackageOnSystemdIT checks the same against systemd itself (StatusText, {@code systemctl start}
 * returning once READY=1 came).
 */
@RootOnly("the daemon adopts tasks with runc and cgroups")
class DaemonNotifyIT {
    @TempDir
    Path tmp;
    DaemonProcess daemon;
    final String parent = "/berth-notify-" + UUID.randomUUID().toString().substring(0, 8);

    /** One notify datagram and what the daemon's sockets answered at the moment it arrived. */
    record Received(String message, boolean apiAccepts, boolean grpcAccepts) {
    }

    @AfterEach
    void tearDown() throws Exception {
        HostCleanup.under(tmp).runcRoot("runc", tmp.resolve("state/runc"), true).cgroup(parent).then(() -> {
            if (daemon != null) {
                daemon.kill();
            }
        }).close();
    }

    @Test
    void readyOnceTheSocketsAcceptReloadingOnHupStoppingOnTerm() throws Exception {
        assumeTrue(NotifySocket.available(), "needs netty's epoll transport for the receiving socket");
        Path notify = tmp.resolve("notify.sock");
        Path api = tmp.resolve("state/berth.sock");
        Path grpc = tmp.resolve("state/containerd.sock");
        BlockingQueue<Received> got = new LinkedBlockingQueue<>();
        // the sender waits for nothing: probe the sockets the moment a message arrives, while it goes on
        NotifySocket receiver = NotifySocket.bind(notify, m -> got.add(new Received(m, accepts(api), accepts(grpc))));
        try {
            daemon = DaemonProcess.create(tmp, parent, "");
            daemon.start(Map.of("NOTIFY_SOCKET", notify.toString()));
            long pid = daemon.process().pid();

            Received ready = next(got);
            assertEquals("READY=1\nSTATUS=serving on " + api + "\nMAINPID=" + pid, ready.message());
            assertTrue(ready.apiAccepts(), "the local API accepted connections when READY=1 arrived");
            assertTrue(ready.grpcAccepts(), "containerd's gRPC socket accepted connections when READY=1 arrived");
            // the store is open: its lock is held by the daemon
            BerthException locked = org.junit.jupiter.api.Assertions.assertThrows(BerthException.class,
                    () -> Engine.open(daemon.config()).close());
            assertEquals(ErrorCategory.LOCKED, locked.category());

            // systemctl reload: RELOADING=1, then READY=1 with what the reload did
            signal("HUP", pid);
            assertEquals("RELOADING=1\nSTATUS=reloading config", next(got).message());
            Received reloaded = next(got);
            assertEquals("READY=1\nSTATUS=config reloaded\nMAINPID=" + pid, reloaded.message());
            assertTrue(reloaded.apiAccepts(), "the API kept serving through the reload");

            // systemctl stop: STOPPING=1 while shutting down, then the process ends and its socket goes
            signal("TERM", pid);
            assertEquals("STOPPING=1\nSTATUS=stopping", next(got).message());
            assertTrue(daemon.process().waitFor(60, TimeUnit.SECONDS), "the daemon ended after SIGTERM");
            assertTrue(Files.notExists(api), "the API socket is removed at shutdown");
            assertEquals(null, got.poll(), "nothing after STOPPING=1");
        } finally {
            receiver.close();
        }
    }

    private static Received next(BlockingQueue<Received> got) throws InterruptedException {
        // a guard against a daemon that never says anything, not a speed assertion
        Received r = got.poll(120, TimeUnit.SECONDS);
        assertNotNull(r, "no notify message from the daemon");
        return r;
    }

    private static boolean accepts(Path socket) {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return ch.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertEquals(0, p.waitFor(), "kill -" + name + " " + pid);
    }
}
