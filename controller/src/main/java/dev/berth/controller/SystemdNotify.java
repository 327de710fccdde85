package dev.berth.controller;

import dev.berth.engine.sys.Sys;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's side of systemd's notify protocol (sd_notify(3)) for {@code Type=notify} units: state
 * lines such as {@code READY=1}, {@code RELOADING=1}, {@code STOPPING=1} and {@code STATUS=...} sent
 * as one datagram each to the socket systemd names in {@code $NOTIFY_SOCKET}. Without that variable
 * (not started by systemd) every call does nothing. A failed send is logged, never thrown: systemd
 * going away must not take the daemon down. Thread-safe.
 */
public final class SystemdNotify {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);

    private final String socket;

    SystemdNotify(String socket) {
        this.socket = socket == null || socket.isEmpty() ? null : socket;
    }

    /** The notifier for this process's {@code $NOTIFY_SOCKET}. */
    public static SystemdNotify fromEnvironment() {
        return new SystemdNotify(System.getenv("NOTIFY_SOCKET"));
    }

    /** Whether systemd is listening (the unit is {@code Type=notify}). */
    public boolean enabled() {
        return socket != null;
    }

    /** The API socket accepts connections and the stores are open. */
    public void ready(String status) {
        send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    /** A reload has begun; {@link #ready} ends it. */
    public void reloading() {
        send("RELOADING=1\nSTATUS=reloading config");
    }

    /** Shutdown has begun. */
    public void stopping() {
        send("STOPPING=1\nSTATUS=stopping");
    }

    void send(String message) {
        if (socket == null) {
            return;
        }
        try {
            Sys.sendDatagram(socket, message.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.warn("cannot notify systemd at {} ({}): {}", socket, message.replace('\n', ' '), e.getMessage());
        }
    }
}
