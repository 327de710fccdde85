package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command of the CLI builds (picocli rejects duplicate option names, e.g. a subcommand reusing
 * -n, only when the tree is built) and prints its help.
 */
class CommandTreeTest {
    @Test
    void everyCommandBuildsAndHasHelp() {
        CommandLine root = new CommandLine(new Main());
        List<CommandLine> all = new ArrayList<>();
        collect(root, all);
        assertTrue(all.size() > 30, "commands found: " + all.size());
        for (CommandLine c : all) {
            StringWriter w = new StringWriter();
            c.usage(new PrintWriter(w));
            assertTrue(w.toString().contains("Usage: "), c.getCommandSpec().qualifiedName() + ": " + w);
        }
        assertEquals(0, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), "--help"));
    }

    private static void collect(CommandLine c, List<CommandLine> out) {
        out.add(c);
        c.getSubcommands().values().stream().distinct().forEach(s -> collect(s, out));
    }
}
