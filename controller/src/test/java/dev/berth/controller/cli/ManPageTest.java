package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** berth(8) has a section for every command, and each section is that command's --help. */
class ManPageTest {
    @TempDir
    Path tmp;

    /** The top-level command names `berth --help` lists under "Commands:". */
    static List<String> helpCommands() {
        StringWriter out = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--help"));
        String help = out.toString();
        return help.substring(help.indexOf("Commands:")).lines().skip(1)
                .filter(l -> l.startsWith("  ") && !l.startsWith("   ")).map(l -> l.trim().split("[\\s,]+")[0]).toList();
    }

    @Test
    void everyCommandHasItsHelpAsItsSection() throws Exception {
        ManPage.main(new String[] {tmp.toString()});
        String page;
        try (var in = new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(tmp.resolve("berth.8.gz"))))) {
            page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(page.startsWith(".TH BERTH 8 "), page.substring(0, 40));
        List<String> commands = helpCommands();
        assertTrue(commands.size() >= 20 && commands.contains("daemon") && commands.contains("images"), commands.toString());
        for (String c : commands) {
            assertTrue(page.contains(".SS \"berth " + c + "\"\n"), "a section for " + c);
        }
        // nested commands too, and each section is the command's own help text, line by line
        for (String[] argv : List.of(new String[] {"images", "--help"}, new String[] {"images", "ls", "--help"},
                new String[] {"daemon", "--help"})) {
            StringWriter out = new StringWriter();
            Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), argv);
            for (String line : out.toString().stripTrailing().split("\n")) {
                assertTrue(page.contains((line.isEmpty() ? "" : "\\&") + ManPage.text(line) + "\n"),
                        String.join(" ", argv) + ": " + line);
            }
        }
        assertTrue(page.contains(".SS \"berth images ls\"\n"));
    }
}
