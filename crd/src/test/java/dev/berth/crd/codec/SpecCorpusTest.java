package dev.berth.crd.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corpus of specs a user could write by mistake or an attacker could send
 * ({@code src/test/resources/corpus/refused}, also fed to a live daemon by the controller's
 * {@code SpecCorpusIT}): each is refused with a located error (file:line: field: message) that its
 * first line ({@code # expect: LINE: TEXT}) names; none escapes as an unchecked exception.
 */
public class SpecCorpusTest {
    /** The corpus directory, for other modules' tests. */
    public static Path corpus() {
        Path p = Path.of("src/test/resources/corpus/refused");
        return Files.isDirectory(p) ? p : Path.of("../crd/src/test/resources/corpus/refused");
    }

    /** The refused files, in name order. */
    public static List<Path> files() throws Exception {
        try (Stream<Path> s = Files.list(corpus())) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** What a file's error must say: {@code <line>: <text>} from its first line. */
    public static String expected(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        int nl = 0;
        while (b[nl] != '\n') {
            nl++;
        }
        String first = new String(b, 0, nl, StandardCharsets.US_ASCII);
        assertTrue(first.startsWith("# expect: "), file + " must start with '# expect: LINE: TEXT'");
        return first.substring("# expect: ".length()).trim();
    }

    final SpecCodec codec = new SpecCodec();

    @Test
    void everyFileOfTheCorpusIsRefusedWithItsLocatedError() throws Exception {
        List<String> wrong = new ArrayList<>();
        List<Path> files = files();
        assertTrue(files.size() >= 20, "the corpus is there: " + files);
        for (Path f : files) {
            String want = f + ":" + expected(f);
            try {
                codec.read(f);
                wrong.add(f + ": accepted");
            } catch (SpecException e) {
                if (!e.getMessage().contains(want)) {
                    wrong.add(f + ": said " + e.getMessage().replace("\n", " | ") + "; want " + want);
                }
            } catch (RuntimeException e) {
                wrong.add(f + ": escaped as " + e);
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void aManifestOverThreeMebibytesIsRefusedBeforeParsing(@TempDir Path tmp) throws Exception {
        Path big = tmp.resolve("big.yaml");
        Files.write(big, ("# " + "x".repeat(SpecText.MAX_BYTES) + "\n").getBytes(StandardCharsets.US_ASCII));
        SpecException e = assertThrows(SpecException.class, () -> codec.read(big));
        assertTrue(e.getMessage().startsWith(big + ": " + Files.size(big) + " bytes is more than the 3145728 bytes"),
                e.getMessage());
        SpecException api = assertThrows(SpecException.class, () -> SpecText.decode("api", Files.readAllBytes(big)));
        assertTrue(api.getMessage().startsWith("api: "), api.getMessage());
    }

    @Test
    void argumentsAndEnvironmentTheKernelWouldNotExecAreRefused() {
        String base = "apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata: {name: c}\nspec:\n  image: b\n";
        SpecException one = assertThrows(SpecException.class, () -> codec.read("f", base + "  args: [sh, "
                + "x".repeat(200_000) + "]\n"));
        assertTrue(one.getMessage().contains("f:6: spec.args[1]: is 200000 bytes; one argument or environment value "
                + "may hold at most 131071"), one.getMessage());
        StringBuilder env = new StringBuilder(base + "  env:\n");
        for (int i = 0; i < 12; i++) {
            env.append("    - {name: V").append(i).append(", value: ").append("y".repeat(100_000)).append("}\n");
        }
        SpecException all = assertThrows(SpecException.class, () -> codec.read("f", env.toString()));
        assertTrue(all.getMessage().contains("f:4: spec: command, args and env take 1200"), all.getMessage());
    }

    @Test
    void anEmptyStreamDecodesToNoObjects() {
        assertEquals(List.of(), codec.read("f", ""));
        assertEquals(List.of(), codec.read("f", "---\n# nothing\n---\n"));
    }
}
