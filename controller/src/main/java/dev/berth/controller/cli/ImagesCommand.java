package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.content.ContentStore;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.images.Image;
import dev.berth.engine.images.ImageStore;
import dev.berth.engine.images.Images;
import dev.berth.engine.images.PlatformMatcher;
import dev.berth.engine.images.Platforms;
import dev.berth.engine.images.archive.ExportOptions;
import dev.berth.engine.images.archive.ImageExporter;
import dev.berth.engine.images.archive.ImageImporter;
import dev.berth.engine.images.archive.ImportOptions;
import dev.berth.engine.images.archive.RootfsImportOptions;
import dev.berth.engine.images.archive.RootfsImporter;
import dev.berth.engine.remotes.Reference;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.Platform;
import dev.berth.engine.remotes.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth images ls|rm|import|export|unpack|mount|unmount}: image records and archives, like {@code ctr images}. */
@Command(name = "images", aliases = "image", description = "Manage images in the local store.",
        subcommands = {ImagesCommand.Ls.class, ImagesCommand.Rm.class, ImagesCommand.Import.class,
            ImagesCommand.Export.class, ImagesCommand.Check.class, ImageUnpackCommands.Unpack.class,
            ImageUnpackCommands.MountImage.class, ImageUnpackCommands.Unmount.class})
public final class ImagesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The image named exactly {@code arg}, else by its normalised reference ({@code busybox} → docker.io/library/busybox:latest). */
    static Image lookup(ImageStore store, String arg) {
        return store.find(arg).orElseGet(() -> {
            String normal;
            try {
                normal = Reference.parse(arg).toString();
            } catch (BerthException e) {
                throw BerthException.notFound("image %s not found; see berth images ls", arg);
            }
            return store.get(normal);
        });
    }

    @Command(name = "ls", aliases = "list", description = "List images: name, type, digest, size, platforms, labels.")
    static final class Ls extends EngineCommand {
        @Option(names = {"-q", "--quiet"}, description = "Print only the names.")
        boolean quiet;

        @Override
        protected int run(Engine engine) {
            List<Image> images = engine.images().list();
            if (quiet) {
                images.forEach(i -> out().println(i.name()));
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"REF", "TYPE", "DIGEST", "SIZE", "PLATFORMS", "LABELS"});
            for (Image i : images) {
                rows.add(new String[] {i.name(), i.target().mediaType(), i.target().digest().toString(),
                    size(engine.content(), i.target()), platforms(engine.content(), i.target()),
                    i.labels().isEmpty() ? "-" : i.labels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                            .collect(Collectors.joining(","))});
            }
            Table.print(out(), rows);
            return 0;
        }

        private static String size(ContentStore content, Descriptor target) {
            long[] total = {0};
            try {
                Images.walk(content, target, Platforms.all(), true, d -> {
                    if (content.exists(d.digest())) {
                        total[0] += d.size();
                    }
                });
            } catch (BerthException e) {
                return "-";
            }
            return humanSize(total[0]);
        }

        private static String platforms(ContentStore content, Descriptor target) {
            try {
                Set<String> ps = new LinkedHashSet<>();
                for (Platform p : Images.platforms(content, target)) {
                    ps.add(Platforms.format(p));
                }
                return ps.isEmpty() ? "-" : String.join(",", ps);
            } catch (BerthException e) {
                return MediaTypes.isIndex(target.mediaType()) || MediaTypes.isManifest(target.mediaType()) ? "(missing)" : "-";
            }
        }
    }

    @Command(name = "check", description = "Check that the content of images is complete for a platform (exit 1 when not).")
    static final class Check extends EngineCommand {
        @Parameters(arity = "0..*", paramLabel = "NAME", description = "Images to check (default: all).")
        List<String> names = List.of();

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to check (default: host).")
        String platform;

        @Override
        protected int run(Engine engine) {
            PlatformMatcher m = platform == null ? Platforms.defaultMatcher() : Platforms.only(Platforms.parse(platform));
            List<Image> images = names.isEmpty() ? engine.images().list()
                    : names.stream().map(n -> lookup(engine.images(), n)).toList();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"REF", "DIGEST", "STATUS", "SIZE"});
            int rc = 0;
            for (Image i : images) {
                String status;
                String size;
                try {
                    dev.berth.engine.images.ContentCheck c = Images.check(engine.content(), i.target(), m);
                    status = (c.complete() ? "complete" : "incomplete") + " (" + c.present().size() + "/"
                            + c.required().size() + ")";
                    size = humanSize(c.present().stream().mapToLong(Descriptor::size).sum()) + "/"
                            + humanSize(c.required().stream().mapToLong(Descriptor::size).sum());
                    if (!c.complete()) {
                        rc = 1;
                    }
                } catch (BerthException e) {
                    status = "error: " + e.getMessage();
                    size = "-";
                    rc = 1;
                }
                rows.add(new String[] {i.name(), i.target().digest().toString(), status, size});
            }
            Table.print(out(), rows);
            return rc;
        }
    }

    @Command(name = "rm", aliases = {"remove", "delete"}, description = "Remove image records (content goes at garbage collection).")
    static final class Rm extends EngineCommand {
        @Parameters(arity = "1..*", paramLabel = "NAME", description = "Image names as `berth images ls` shows them.")
        List<String> names;

        @Override
        protected int run(Engine engine) {
            int rc = 0;
            for (String n : names) {
                try {
                    Image img = lookup(engine.images(), n);
                    engine.images().delete(img.name());
                    out().println(img.name());
                } catch (BerthException e) {
                    err().println("berth: " + e.getMessage());
                    rc = 1;
                }
            }
            return rc;
        }
    }

    @Command(name = "import", description = "Import an OCI image layout (directory or tar) or a docker save archive; "
            + "or with --rootfs, make a single-layer image from a root file system (like docker import).")
    static final class Import extends EngineCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE|DIR",
                description = "Archive file (tar, tar.gz, tar.zst) or OCI layout directory.")
        Path source;

        @Option(names = "--name", paramLabel = "NAME",
                description = "Name for an image the archive leaves unnamed, or the repository for entries named only by a tag; "
                        + "with --rootfs the image's name (required).")
        String name;

        @Option(names = "--rootfs", paramLabel = "DIR|TAR",
                description = "Root file system to import as one layer: a directory, or a tar (plain, gzip or zstd).")
        Path rootfs;

        @Option(names = "--cmd", paramLabel = "ARG",
                description = "With --rootfs: the image's Cmd, one argument per option, or one JSON array (e.g. '[\"/bin/sh\",\"-c\",\"x\"]').")
        List<String> cmd = new ArrayList<>();

        @Option(names = "--entrypoint", paramLabel = "ARG",
                description = "With --rootfs: the image's Entrypoint, like --cmd.")
        List<String> entrypoint = new ArrayList<>();

        @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "With --rootfs: an Env entry (repeatable).")
        List<String> env = new ArrayList<>();

        @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "With --rootfs: the image's WorkingDir.")
        String workdir;

        @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]", description = "With --rootfs: the image's User.")
        String user;

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
                description = "With --rootfs: the platform the image claims (default: this host's).")
        String platform;

        @Override
        protected int run(Engine engine) {
            if (rootfs != null) {
                return importRootfs(engine);
            }
            if (source == null) {
                throw BerthException.invalid("berth images import needs an archive (FILE|DIR) or --rootfs DIR|TAR --name REF");
            }
            List<Image> imported = new ImageImporter(engine.content(), engine.images(), engine.leases())
                    .importFrom(source, ImportOptions.defaults().withName(name));
            for (Image i : imported) {
                out().println("imported " + i.name() + " " + i.target().digest());
            }
            return 0;
        }

        private int importRootfs(Engine engine) {
            if (source != null) {
                throw BerthException.invalid("give either an archive or --rootfs, not both");
            }
            if (name == null) {
                throw BerthException.invalid("--rootfs needs --name REF, e.g. --name localhost/my/image:latest");
            }
            for (String e : env) {
                if (!e.contains("=") || e.startsWith("=")) {
                    throw BerthException.invalid("--env %s: use KEY=VALUE", e);
                }
            }
            RootfsImportOptions o = RootfsImportOptions.named(Reference.parse(name).toString())
                    .withCmd(argv("--cmd", cmd)).withEntrypoint(argv("--entrypoint", entrypoint)).withEnv(env)
                    .withWorkingDir(workdir).withUser(user)
                    .withPlatform(platform == null ? null : Platforms.normalize(Platforms.parse(platform)));
            Image i = new RootfsImporter(engine.content(), engine.images(), engine.leases(), engine.clock())
                    .importRootfs(rootfs, o);
            out().println("imported " + i.name() + " " + i.target().digest());
            return 0;
        }

        private static List<String> argv(String option, List<String> values) {
            if (values.size() == 1 && values.get(0).trim().startsWith("[")) {
                try {
                    return List.of(dev.berth.engine.oci.OciJson.MAPPER.readValue(values.get(0), String[].class));
                } catch (RuntimeException e) {
                    throw BerthException.invalid("%s %s is not a JSON array of strings", option, values.get(0));
                }
            }
            return values;
        }
    }

    @Command(name = "export", description = "Export images as an OCI layout (tar, or a directory when OUT is one "
            + "or ends in /) or as a docker save archive.")
    static final class Export extends EngineCommand {
        @Parameters(index = "0", paramLabel = "OUT", description = "Output tar file, '-' for standard output, or a directory.")
        String out;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "NAME", description = "Images to export.")
        List<String> names;

        @Option(names = "--format", paramLabel = "oci|docker", defaultValue = "oci",
                description = "oci (default; also carries a docker manifest.json) or docker (docker save layout).")
        String format;

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Export only this platform.")
        String platform;

        @Option(names = "--all-platforms", description = "Export every platform present (default: the host platform).")
        boolean allPlatforms;

        @Override
        protected int run(Engine engine) throws Exception {
            ExportOptions.Format f = switch (format) {
                case "oci" -> ExportOptions.Format.OCI;
                case "docker", "docker-archive" -> ExportOptions.Format.DOCKER;
                default -> throw BerthException.invalid("--format %s is not known; use oci or docker", format);
            };
            if (allPlatforms && platform != null) {
                throw BerthException.invalid("--platform and --all-platforms exclude each other");
            }
            PlatformMatcher m = platform != null ? Platforms.only(Platforms.parse(platform))
                    : allPlatforms ? null : Platforms.defaultMatcher();
            ExportOptions opts = new ExportOptions(f, m, true);
            List<Image> images = new ArrayList<>();
            for (String n : names) {
                images.add(lookup(engine.images(), n));
            }
            ImageExporter exporter = new ImageExporter(engine.content());
            if (out.equals("-")) {
                java.io.OutputStream stdout = Forwarding.stdout();
                exporter.export(images, stdout, opts);
                stdout.flush();
            } else if (out.endsWith("/") || Files.isDirectory(Forwarding.path(out))) {
                exporter.exportLayout(images, Forwarding.path(out), opts);
            } else {
                exporter.export(images, Forwarding.path(out), opts);
            }
            return 0;
        }
    }
}
