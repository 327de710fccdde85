package dev.berth.controller.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.config.Config;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.engine.testing.Tools;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image and content commands end to end, in-process, on a private root. */
class ImagesCliIT {
    @TempDir
    Path tmp;
    private Path config;

    record Result(int code, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    @BeforeEach
    void config() throws Exception {
        config = tmp.resolve("config.toml");
        Files.writeString(config, "version = 3\nroot = \"" + tmp.resolve("root") + "\"\nstate = \"" + tmp.resolve("state") + "\"\n");
    }

    private Result berth(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            String[] full = new String[args.length + 2];
            full[0] = "--config";
            full[1] = config.toString();
            System.arraycopy(args, 0, full, 2, args.length);
            int code = Main.run(full);
            System.out.flush();
            return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void importListExportRemove() {
        BuiltImage bb = OciImageBuilder.busybox().build();
        Path archive = tmp.resolve("busybox.tar");
        bb.writeLayoutTar(archive, "docker.io/library/busybox:latest");
        String name = "docker.io/library/busybox:latest";

        Result imp = berth("images", "import", archive.toString());
        assertEquals(0, imp.code(), imp.err());
        assertTrue(imp.text().contains("imported " + name + " " + bb.target().digest()), imp.text());

        Result ls = berth("images", "ls");
        assertEquals(0, ls.code(), ls.err());
        assertTrue(ls.text().startsWith("REF"), ls.text());
        assertTrue(ls.text().contains(name) && ls.text().contains("linux/"), ls.text());

        Result content = berth("content", "ls", "labels.\"containerd.io/gc.ref.content.config\"");
        assertEquals(0, content.code(), content.err());
        assertTrue(content.text().contains(bb.target().digest().toString()), content.text());

        Result get = berth("content", "get", bb.configDescriptor().digest().toString());
        assertEquals(0, get.code(), get.err());
        assertArrayEquals(bb.blobs().get(bb.configDescriptor().digest()), get.out());

        Result verify = berth("content", "verify");
        assertEquals(0, verify.code(), verify.err());
        assertEquals(bb.blobs().size() + " of " + bb.blobs().size() + " blobs verified", verify.text().trim());

        Path oci = tmp.resolve("out.tar");
        Result exp = berth("images", "export", oci.toString(), name);
        assertEquals(0, exp.code(), exp.err());
        assertArrayEquals(bb.blobs().get(bb.target().digest()),
                Tools.run(List.of("skopeo", "inspect", "--raw", "oci-archive:" + oci + ":latest")));
        Path docker = tmp.resolve("docker.tar");
        Result expd = berth("images", "export", "--format", "docker", docker.toString(), "busybox:latest");
        assertEquals(0, expd.code(), expd.err());
        assertArrayEquals(bb.blobs().get(bb.configDescriptor().digest()),
                Tools.run(List.of("skopeo", "inspect", "--config", "--raw", "docker-archive:" + docker)));

        Result check = berth("images", "check");
        assertEquals(0, check.code(), check.err());
        assertTrue(check.text().contains("complete (3/3)"), check.text());
        Result crm = berth("content", "rm", bb.layers().get(0).digest().toString());
        assertEquals(0, crm.code(), crm.err());
        assertEquals(1, berth("content", "get", bb.layers().get(0).digest().toString()).code());
        Result check2 = berth("images", "check", "busybox");
        assertEquals(1, check2.code());
        assertTrue(check2.text().contains("incomplete (2/3)"), check2.text());
        Result rm = berth("images", "rm", "busybox");
        assertEquals(0, rm.code(), rm.err());
        assertEquals(name, rm.text().trim());
        assertEquals("", berth("images", "ls", "-q").text());
        Result rm2 = berth("images", "rm", name);
        assertEquals(1, rm2.code());
        assertTrue(rm2.err().contains("not found"), rm2.err());
    }

    @Test
    void badInputAndLockedRootGiveClearErrors() throws Exception {
        Result missing = berth("images", "import", tmp.resolve("nope.tar").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.tar"), missing.err());
        Result badDigest = berth("content", "get", "sha256:xyz");
        assertEquals(1, badDigest.code());
        assertTrue(badDigest.err().contains("not a valid digest"), badDigest.err());
        Config c = Config.defaults().with(EngineSettings.ROOT, tmp.resolve("root").toString());
        try (Engine held = Engine.open(c)) {
            Result locked = berth("images", "ls");
            assertEquals(1, locked.code());
            assertTrue(locked.err().contains("in use by process " + ProcessHandle.current().pid()), locked.err());
        }
    }
}
