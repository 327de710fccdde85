package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The completion scripts the build writes cover the whole command tree. */
class CompletionTest {
    @TempDir
    Path tmp;

    @Test
    void scriptsNameSubcommandsAndTheirOptions() throws Exception {
        Completion.main(new String[] {tmp.toString()});
        String bash = Files.readString(tmp.resolve("berth.bash"));
        assertTrue(bash.contains("complete -F _complete_berth") || bash.contains("_complete_berth"), "bash function");
        for (String word : new String[] {"snapshots", "usage", "--unpack", "--all-namespaces", "containers"}) {
            assertTrue(bash.contains(word), word);
        }
        assertTrue(Files.readString(tmp.resolve("_berth")).startsWith("#compdef berth\n"));
    }
}
