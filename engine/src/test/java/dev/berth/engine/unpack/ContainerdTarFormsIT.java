package dev.berth.engine.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.engine.mount.MountTable;
import dev.berth.engine.testing.LayerTarBuilder;
import dev.berth.engine.testing.PrivateContainerd;
import dev.berth.engine.testing.RootOnly;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tar forms of the unpack issue (names and link targets that climb with {@code ..}, absolute
 * ones, symlinked parents pointing out of the root, hardlinks to outside, to a lower layer or to a
 * later entry, the root entry itself, entries that replace each other, odd whiteouts, symlink loops)
 * re-checked against containerd 1.6 (issue 12): for every form, Berth accepts exactly when
 * containerd accepts, and then the mounted trees are the same, byte for byte in names, with the
 * root directory's own mode and owner. Nothing is ever written outside either root.
 */
@RootOnly("needs root")
class ContainerdTarFormsIT {
    private UnpackFixture f;
    private BothUnpackers both;
    private Path outside;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(PrivateContainerd.available(), "needs the containerd package");
        f = new UnpackFixture();
        both = new BothUnpackers(f);
        outside = f.tmp.resolve("outside-marker");
    }

    @AfterEach
    void tearDown() {
        try {
            if (both != null) {
                both.close();
            }
        } finally {
            if (f != null) {
                f.close();
            }
        }
    }

    /** The lower layer every form is put on. */
    private static LayerTarBuilder base() {
        LayerTarBuilder b = new LayerTarBuilder();
        b.dir("etc");
        b.file("etc/base-file", "from the lower layer");
        b.dir("d");
        b.file("d/keep", "kept");
        return b;
    }

    private static Map<String, Consumer<LayerTarBuilder>> forms() {
        Map<String, Consumer<LayerTarBuilder>> m = new LinkedHashMap<>();
        m.put("name-climbs-above-root", l -> l.file("../../escape", "x"));
        m.put("name-climbs-inside", l -> {
            l.dir("a");
            l.file("a/../b", "x");
        });
        m.put("symlink-entry-name-climbs", l -> l.symlink("../../up-link", "etc"));
        m.put("parent-symlink-relative-out", l -> {
            l.symlink("out", "../../../../tmp");
            l.file("out/x", "through a relative link");
        });
        m.put("parent-symlink-absolute", l -> {
            l.symlink("abs", "/etc");
            l.file("abs/x", "through an absolute link");
        });
        m.put("parent-symlink-to-root", l -> {
            l.symlink("top", "/");
            l.file("top/etc/y", "through a link to /");
        });
        m.put("hardlink-target-climbs", l -> {
            l.dir("etc");
            l.file("etc/passwd", "root:x:0:0");
            l.hardlink("hl", "../../etc/passwd");
        });
        m.put("hardlink-through-symlink-out", l -> {
            l.dir("etc");
            l.file("etc/passwd", "root:x:0:0");
            l.symlink("s", "../../../etc");
            l.hardlink("hl2", "s/passwd");
        });
        m.put("hardlink-to-missing-outside-file", l -> l.hardlink("hl3", "../../../../etc/shadow-" + System.nanoTime()));
        m.put("hardlink-to-lower-layer", l -> l.hardlink("lower-link", "etc/base-file"));
        m.put("hardlink-forward", l -> {
            l.hardlink("fw", "later");
            l.file("later", "after the link");
        });
        m.put("hardlink-to-symlink", l -> {
            l.symlink("sl", "/etc/base-file");
            l.hardlink("hl-sl", "sl");
        });
        m.put("root-entry", l -> l.dir("./").mode(0700).owner(12, 34));
        m.put("root-entry-absolute", l -> l.dir("/").mode(0750).owner(5, 6));
        m.put("file-replaces-file", l -> {
            l.file("dup", "one");
            l.file("dup", "two");
        });
        m.put("file-replaces-dir", l -> {
            l.dir("dd");
            l.file("dd/child", "c");
            l.file("dd", "now a file");
        });
        m.put("dir-replaces-file", l -> {
            l.file("ff", "a file");
            l.dir("ff");
            l.file("ff/c", "child");
        });
        m.put("file-replaces-lower-dir", l -> l.file("d", "was a directory below"));
        m.put("trailing-slash-on-file", l -> l.file("slashed/", "a file named with a slash"));
        m.put("whiteout-of-dotdot", l -> l.file("d/.wh...", ""));
        m.put("whiteout-of-dot", l -> l.file("d/.wh..", ""));
        m.put("whiteout-climbs", l -> l.file("../.wh.etc", ""));
        m.put("whiteout-through-symlink-out", l -> {
            l.symlink("wl", "../../../d");
            l.file("wl/.wh.keep", "");
        });
        m.put("symlink-loop-parent", l -> {
            l.symlink("loop", "loop");
            l.file("loop/x", "never");
        });
        return m;
    }

    /** The mounted tree with the root directory's own mode and owner first. */
    private static List<String> tree(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        Process p = new ProcessBuilder("stat", "-c", "%a|%u:%g", dir.toString()).redirectErrorStream(true).start();
        out.add("/ " + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        p.waitFor();
        out.addAll(BothUnpackers.rawListing(dir));
        return out;
    }

    @Test
    void berthAcceptsWhatContainerdAcceptsAndMakesTheSameTree() throws Exception {
        List<String> table = new ArrayList<>();
        List<String> differ = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, Consumer<LayerTarBuilder>> form : forms().entrySet()) {
            LayerTarBuilder layer = new LayerTarBuilder();
            form.getValue().accept(layer);
            String repo = "berth/form" + (i++);
            BothUnpackers.Outcome o = both.store(repo, List.of(base(), layer));
            String line = form.getKey() + ": containerd " + (o.ctrdAccepted() ? "accepts" : "refuses")
                    + ", Berth " + (o.berthAccepted() ? "accepts" : "refuses")
                    + (o.berthAccepted() ? "" : " (" + o.berthError().getMessage() + ")");
            table.add(line);
            if (o.ctrdAccepted() != o.berthAccepted()) {
                differ.add(line + (o.ctrdAccepted() ? "" : "\n    containerd: " + o.ctrdError().getMessage()));
                continue;
            }
            if (o.ctrdAccepted()) {
                both.withBothMounted(repo + ":1", (berthMnt, ctrdMnt) -> {
                    List<String> expected = tree(ctrdMnt);
                    List<String> actual = tree(berthMnt);
                    if (!expected.equals(actual)) {
                        differ.add(form.getKey() + ": trees differ\n    containerd " + expected + "\n    Berth      "
                                + actual);
                    }
                });
            }
        }
        System.out.println("tar forms against containerd:\n  " + String.join("\n  ", table));
        assertEquals(List.of(), differ, String.join("\n", table));
        assertTrue(table.stream().anyMatch(l -> l.contains("containerd refuses")), "the oracle refused something: " + table);
        assertTrue(!Files.exists(outside) && !Files.exists(Path.of("/escape")) && !Files.exists(Path.of("/up-link")),
                "nothing written outside");
        assertEquals(List.of(), MountTable.under(f.tmp).stream().map(x -> x.mountPoint().toString()).toList());
    }
}
