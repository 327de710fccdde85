package dev.berth.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.controller.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berth(8) is in both artifacts, and {@code man -l} renders it with a section for every command that
 * {@code berth --help} lists (the page is made from the same command tree at build time).
 */
class ManPageInPackageIT {
    @TempDir
    Path tmp;

    @Test
    void theDebAndTheTarballShipAManPageListingEveryCommand() throws Exception {
        Path deb = only("berth_", ".deb");
        run("dpkg-deb", "-x", deb.toString(), tmp.resolve("deb").toString());
        Path page = tmp.resolve("deb/usr/share/man/man8/berth.8.gz");
        assertTrue(Files.isRegularFile(page), "the .deb installs /usr/share/man/man8/berth.8.gz");
        String tarList = run("tar", "-tzf", only("berth-", ".tar.gz").toString());
        assertTrue(tarList.lines().anyMatch(l -> l.equals("usr/local/share/man/man8/berth.8.gz")), tarList);

        // what a user reads: man's rendering (overstrike bold removed, wide lines so names stay whole)
        String man = run("env", "MANWIDTH=200", "man", "-P", "cat", "-l", page.toString()).replaceAll(".\b", "");
        assertTrue(man.contains("NAME") && man.contains("berth - containerd's job, done declaratively"), man);
        List<String> commands = helpCommands();
        assertTrue(commands.size() >= 20, commands.toString());
        for (String c : commands) {
            assertTrue(man.lines().anyMatch(l -> l.trim().equals("berth " + c)), "man berth has a section for " + c);
        }
    }

    /** The top-level commands {@code berth --help} lists. */
    private static List<String> helpCommands() {
        StringWriter out = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--help"));
        String help = out.toString();
        return help.substring(help.indexOf("Commands:")).lines().skip(1)
                .filter(l -> l.startsWith("  ") && !l.startsWith("   ")).map(l -> l.trim().split("[\\s,]+")[0]).toList();
    }

    private static Path only(String prefix, String suffix) throws Exception {
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            List<Path> found = s.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().endsWith(suffix)).toList();
            assertEquals(1, found.size(), () -> prefix + "*" + suffix + ": " + found + " (mvn package makes it)");
            return found.get(0);
        }
    }

    private static String run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> String.join(" ", argv) + " failed");
        return out;
    }
}
