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
        CommandLine root = Main.fullTree();
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

    @Test
    void everyCommandAnswersHelpWithItsUsageAndExitZero() {
        List<CommandLine> all = new ArrayList<>();
        collect(Main.fullTree(), all);
        for (CommandLine c : all) {
            String name = c.getCommandSpec().qualifiedName();
            List<String> args = new ArrayList<>(List.of(name.split(" ")).subList(1, name.split(" ").length));
            args.add("--help");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
            assertEquals(0, code, args + ": " + err);
            assertTrue(out.toString().contains("Usage: " + name), args + ": " + out);
            assertEquals("", err.toString(), args.toString());
        }
    }

    @Test
    void aNamedCommandGetsATreeWithJustThatCommand() {
        assertEquals(ImagesCommand.class, Main.invoked("images", "ls"));
        assertEquals(ImagesCommand.class, Main.invoked("--config", "/x.toml", "image", "ls"));
        assertEquals(PullCommand.class, Main.invoked("-c/x.toml", "pull", "busybox"));
        assertEquals(ContainersCommand.class, Main.invoked("--config=/x.toml", "c", "ls"));
        assertEquals(null, Main.invoked());
        assertEquals(null, Main.invoked("--help"));
        assertEquals(null, Main.invoked("help", "images"));
        assertEquals(null, Main.invoked("imagez"));
        CommandLine partial = Main.treeFor("run", "--rm", "x", "sh", "-c", "true");
        assertEquals(List.of("run"), List.copyOf(partial.getSubcommands().keySet()));
        assertTrue(partial.getSubcommands().get("run").isStopAtPositional());
        // the inherited --config reaches the command in the small tree as in the full one
        assertTrue(partial.getSubcommands().get("run").getCommandSpec().findOption("--config") != null);
        StringWriter err = new StringWriter();
        assertEquals(2, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "imagez"));
        assertTrue(err.toString().contains("images"), "the full tree suggests the right command: " + err);
    }

    private static void collect(CommandLine c, List<CommandLine> out) {
        out.add(c);
        c.getSubcommands().values().stream().distinct().forEach(s -> collect(s, out));
    }
}
