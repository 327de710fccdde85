package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code berth version} with no daemon: the thin client's own answer is the full CLI's, byte for byte. */
class ThinVersionTest {
    @TempDir
    Path tmp;

    private record Result(int code, String out, String err) {
    }

    private Result berth(String thin, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                ThinClient.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().remove("BERTH_THIN");
        if (thin != null) {
            pb.environment().put("BERTH_THIN", thin);
        }
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "berth " + List.of(args) + " did not end");
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void withNoDaemonTheThinAnswerIsTheCommandsAnswer() throws Exception {
        Path socket = tmp.resolve("run/berth.sock");
        Path config = tmp.resolve("config.toml");
        Files.writeString(config, "version = 2\n[plugins.\"dev.berth.v1\"]\n  api_address = \"" + socket + "\"\n");
        for (String[] args : List.of(new String[] {"-c", config.toString(), "version"},
                new String[] {"--config=" + config, "version"})) {
            Result thin = berth(null, args);
            Result full = berth("0", args);
            assertEquals(0, thin.code(), thin.err());
            assertEquals(0, full.code(), full.err());
            assertEquals(full.out(), thin.out());
            assertTrue(thin.out().contains("not reachable: no Berth daemon at " + socket + " (start one with `berth daemon`)"),
                    thin.out());
            assertTrue(thin.out().startsWith("Client:\n  Version:  "), thin.out());
        }
        // anything more than `version` is the full CLI's to parse
        Result extra = berth(null, "-c", config.toString(), "version", "--bogus");
        assertEquals(2, extra.code(), extra.out() + extra.err());
    }
}
