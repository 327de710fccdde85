package dev.berth.controller.cli;

import dev.berth.controller.cli.CliHarness.Run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigCliTest {
    @TempDir
    Path tmp;

    static Run berth(String... args) {
        return CliHarness.berth(args);
    }

    private static String body(String rendered) {
        // drop the header comment, which names the source
        return rendered.substring(rendered.indexOf("version = 3"));
    }

    @Test
    void defaultRoundTripsThroughDump() throws Exception {
        Run def = berth("config", "default");
        assertEquals(0, def.code(), def.err());
        Path file = tmp.resolve("config.toml");
        Files.writeString(file, def.out());
        Run dump = berth("--config", file.toString(), "config", "dump");
        assertEquals(0, dump.code(), dump.err());
        assertEquals(body(def.out()), body(dump.out()));
        assertTrue(dump.out().contains("from " + file), dump.out());
        // the option is honoured after the subcommand too
        Run after = berth("config", "dump", "--config", file.toString());
        assertEquals(body(def.out()), body(after.out()));
    }

    @Test
    void dumpShowsValuesFromAVersion2File() throws Exception {
        Path file = tmp.resolve("v2.toml");
        Files.writeString(file, """
                version = 2
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "my.registry/pause:7"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                    SystemdCgroup = true
                """);
        Run dump = berth("config", "dump", "--config", file.toString());
        assertEquals(0, dump.code(), dump.err());
        assertTrue(dump.out().contains("sandbox = \"my.registry/pause:7\""), dump.out());
        assertTrue(dump.out().contains("SystemdCgroup = true"), dump.out());
    }

    @Test
    void wrongTypeFailsWithKeyLineAndType() throws Exception {
        Path file = tmp.resolve("bad.toml");
        Files.writeString(file, "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\nSystemdCgroup = \"yes\"\n");
        Run r = berth("config", "dump", "--config", file.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(file + ":3: "), r.err());
        assertTrue(r.err().contains("SystemdCgroup = \"yes\" has the wrong type; expected a boolean"), r.err());
    }

    @Test
    void explicitMissingConfigIsAnError() {
        Run r = berth("config", "dump", "--config", tmp.resolve("absent.toml").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("does not exist"), r.err());
    }
}
