package dev.berth.engine.runtime.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserResolverTest {
    @TempDir
    Path root;

    @BeforeEach
    void files() throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n# comment\n"
                + "app:x:1000:1001:App:/home/app:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\nstaff:x:50:app,other\napp:x:1001:\n"
                + "video:x:44:app\nnogroup:x:65534:\n");
    }

    @Test
    void namesAndNumbersResolve() {
        assertEquals(new RuntimeSpec.User(0, 0, List.of()), UserResolver.resolve(root, ""));
        assertEquals(new RuntimeSpec.User(1000, 1001, List.of(50, 44)), UserResolver.resolve(root, "app"));
        assertEquals(new RuntimeSpec.User(1000, 1001, List.of(50, 44)), UserResolver.resolve(root, "1000"));
        assertEquals(new RuntimeSpec.User(1000, 50, List.of()), UserResolver.resolve(root, "app:staff"));
        assertEquals(new RuntimeSpec.User(1000, 7, List.of()), UserResolver.resolve(root, "app:7"));
        // a uid the image does not know runs with gid 0, as containerd does
        assertEquals(new RuntimeSpec.User(4242, 0, List.of()), UserResolver.resolve(root, "4242"));
        assertEquals(new RuntimeSpec.User(4242, 44, List.of()), UserResolver.resolve(root, "4242:video"));
        assertEquals("/home/app", UserResolver.home(root, 1000));
    }

    @Test
    void unknownNamesFailWithTheFile() {
        BerthException e = assertThrows(BerthException.class, () -> UserResolver.resolve(root, "ghost"));
        assertTrue(e.getMessage().contains("ghost") && e.getMessage().contains("/etc/passwd"), e.getMessage());
        e = assertThrows(BerthException.class, () -> UserResolver.resolve(root, "app:ghosts"));
        assertTrue(e.getMessage().contains("/etc/group"), e.getMessage());
        assertThrows(BerthException.class, () -> UserResolver.resolve(root, "app:"));
    }

    @Test
    void symlinkedPasswdIsResolvedInsideTheRoot() throws Exception {
        // an absolute link must point into the container root, never at the host's /etc/passwd
        Path etc = root.resolve("etc");
        Files.move(etc.resolve("passwd"), root.resolve("real-passwd"));
        Files.createSymbolicLink(etc.resolve("passwd"), Path.of("/real-passwd"));
        assertEquals(1000, UserResolver.resolve(root, "app").uid());
        Files.delete(etc.resolve("passwd"));
        Files.createSymbolicLink(etc.resolve("passwd"), Path.of("../../../../../../etc/passwd"));
        // resolves to <root>/etc/passwd (itself a dangling path after clamping), so the host file is not read
        assertThrows(BerthException.class, () -> UserResolver.resolve(root, "app"));
    }

    @Test
    void missingFilesMeanNumericOnly() throws Exception {
        Files.delete(root.resolve("etc/passwd"));
        Files.delete(root.resolve("etc/group"));
        assertEquals(new RuntimeSpec.User(5, 6, List.of()), UserResolver.resolve(root, "5:6"));
        assertThrows(BerthException.class, () -> UserResolver.resolve(root, "app"));
    }
}
