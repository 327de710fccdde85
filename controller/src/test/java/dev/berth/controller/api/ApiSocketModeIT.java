package dev.berth.controller.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API socket never exists at its path with a mode the umask chose: an inotify watcher (a real
 * process) sees it arrive by rename, already 0660, never created in place and chmod'ed after.
 */
class ApiSocketModeIT {
    @TempDir
    Path tmp;

    @Test
    void socketAppearsWithItsFinalModeNeverCreatedInPlace() throws Exception {
        Path script = Path.of(getClass().getResource("/api/inotify-watch.py").toURI());
        Process watcher = new ProcessBuilder("python3", script.toString(), tmp.toString()).redirectErrorStream(true)
                .start();
        List<String> events = new CopyOnWriteArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(watcher.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine());
            Thread reader = new Thread(() -> out.lines().forEach(events::add));
            reader.setDaemon(true);
            reader.start();
            Path sock = tmp.resolve("berth.sock");
            try (ApiServer server = new ApiServer(sock)) {
                server.get("/ping", () -> java.util.Map.of("ok", true));
                server.start();
                assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
                try (ApiClient c = ApiClient.connect(sock)) {
                    assertTrue(c.get("/ping").path("ok").asBoolean(), "the renamed socket serves");
                }
                Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> events.contains("moved_to berth.sock")
                        || events.contains("create berth.sock"));
            }
            assertFalse(events.contains("create berth.sock"), "socket bound at its final path: " + events);
            assertTrue(events.contains("moved_to berth.sock"), events.toString());
            try (var s = Files.list(tmp)) {
                assertEquals(List.of(), s.toList(), "the private bind directory is gone");
            }
        } finally {
            watcher.destroy();
            watcher.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
