package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a script of the checkout's bin/ with this test's classpath as its berth (BERTH=java -cp ... Main). */
final class BinScripts {
    private BinScripts() {
    }

    /** Runs {@code bin/<name> args...} with TMPDIR={@code tmp}; asserts exit 0 and returns the output. */
    static String run(Path tmp, String name, String... args) throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("bin").resolve(name);
        assertTrue(Files.isExecutable(script), script + " is missing");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("BERTH", java + " -cp " + System.getProperty("java.class.path")
                + " dev.berth.controller.cli.Main");
        pb.environment().put("TMPDIR", tmp.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "script finished");
        assertEquals(0, p.exitValue(), output);
        return output;
    }
}
