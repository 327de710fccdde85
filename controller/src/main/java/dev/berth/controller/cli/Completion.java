package dev.berth.controller.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;

/**
 * Writes the shell completion scripts at build time (exec plugin, package phase):
 * {@code target/completion/berth.bash} for bash and {@code target/completion/_berth} for zsh (the
 * same picocli script, which zsh runs through {@code bashcompinit}). Built from {@link Main#fullTree()},
 * so every command and option is in it. Not for users; stateless.
 */
public final class Completion {
    private Completion() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/completion");
        Files.createDirectories(dir);
        String script = AutoComplete.bash("berth", Main.fullTree());
        Files.writeString(dir.resolve("berth.bash"), script);
        Files.writeString(dir.resolve("_berth"), "#compdef berth\n# zsh: picocli's completion through bashcompinit\n"
                + "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script);
    }
}
