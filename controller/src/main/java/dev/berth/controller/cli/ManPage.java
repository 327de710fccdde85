package dev.berth.controller.cli;

import dev.berth.controller.BuildInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import picocli.CommandLine;

/**
 * Writes the berth(8) manual page at build time (exec plugin, package phase), gzipped as Debian ships
 * man pages: {@code target/man/berth.8.gz}. It is made from {@link Main#fullTree()}: after a short
 * description, files and environment, each command's section is exactly its {@code --help} text, so
 * the page and the help cannot drift. Troff is written by hand (a few requests, no macro package
 * beyond man(7)); picocli's own generator writes AsciiDoc, which would need asciidoctor to become a
 * page. Not for users; stateless.
 */
public final class ManPage {
    private ManPage() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/man");
        Files.createDirectories(dir);
        // GZIPOutputStream writes no file name and a zero time: the same jars give the same bytes
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("berth.8.gz")))) {
            out.write(render(Main.fullTree()).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The page in man(7) troff. */
    static String render(CommandLine root) {
        StringBuilder t = new StringBuilder();
        t.append(".TH BERTH 8 \"\" \"berth ").append(text(BuildInfo.version())).append("\" \"System Administration\"\n");
        t.append(".SH NAME\nberth \\- containerd's job, done declaratively\n");
        t.append(".SH SYNOPSIS\n.B berth\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]\n");
        t.append(".SH DESCRIPTION\n").append(text(String.join(" ", root.getCommandSpec().usageMessage().description())))
                .append("\nBerth pulls images into a content store, unpacks them into overlay snapshots and runs ")
                .append("containers with runc (or crun) under conmon, driven by declarative Image, Snapshot, Container ")
                .append("and Sandbox specs from a manifest directory, the local API or Kubernetes custom resources. ")
                .append("It reads containerd's config.toml and serves containerd's gRPC API for ctr.\n.PP\n")
                .append("\\fBberth daemon\\fR is the node agent (run by berth.service). The other commands talk to ")
                .append("a running daemon over its local API socket, or, when none runs, open the store themselves.\n");
        t.append(".SH OPTIONS\n");
        preformatted(t, root.getUsageMessage(CommandLine.Help.Ansi.OFF));
        t.append(".SH COMMANDS\nEach command's section is its \\fB\\-\\-help\\fR text.\n");
        for (CommandLine c : visible(root)) {
            section(t, c);
        }
        t.append(".SH FILES\n");
        for (String[] f : List.of(
                new String[] {"/etc/berth/config.toml", "containerd's config.toml layout (version 2 or 3); "
                        + "\\fBberth config default\\fR prints every setting with its default"},
                new String[] {"/etc/berth/manifests/", "the manifest directory (manifest_dir): YAML specs applied by the daemon"},
                new String[] {"/var/lib/berth/", "the root: content, snapshots, metadata"},
                new String[] {"/run/berth/berth.sock", "the local API socket (api_address)"},
                new String[] {"/run/berth/containerd.sock", "containerd's gRPC API, for ctr (grpc address)"},
                new String[] {"/lib/systemd/system/berth.service", "the unit; \\fBsystemctl reload berth\\fR re-reads "
                        + "config.toml and the manifest directory, running containers are not touched"})) {
            t.append(".TP\n.I ").append(f[0]).append('\n').append(f[1]).append('\n');
        }
        t.append(".SH EXIT STATUS\n0 on success, 1 when a command fails (the message names the object, field and fix), "
                + "2 for a usage error.\n");
        t.append(".SH SEE ALSO\n.BR ctr (8),\n.BR runc (8),\n.BR conmon (8),\n.BR systemctl (1)\n");
        return t.toString();
    }

    private static void section(StringBuilder t, CommandLine c) {
        t.append(".SS \"").append(text(qualifiedName(c))).append("\"\n");
        preformatted(t, c.getUsageMessage(CommandLine.Help.Ansi.OFF));
        for (CommandLine sub : visible(c)) {
            section(t, sub);
        }
    }

    /** The command's subcommands once each (aliases are keys too), without hidden ones and picocli's help. */
    static List<CommandLine> visible(CommandLine c) {
        Map<CommandLine, Boolean> seen = new IdentityHashMap<>();
        List<CommandLine> out = new ArrayList<>();
        for (CommandLine sub : c.getSubcommands().values()) {
            if (seen.put(sub, true) == null && !sub.getCommandSpec().usageMessage().hidden()) {
                out.add(sub);
            }
        }
        return out;
    }

    private static String qualifiedName(CommandLine c) {
        return c.getCommandSpec().qualifiedName(" ");
    }

    private static void preformatted(StringBuilder t, String block) {
        t.append(".PP\n.nf\n");
        for (String line : block.stripTrailing().split("\n", -1)) {
            t.append(line.isEmpty() ? "" : "\\&").append(text(line)).append('\n');
        }
        t.append(".fi\n");
    }

    /** Escapes text for troff: backslashes, and hyphens as \- so that options copy and paste as ASCII. */
    static String text(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }
}
