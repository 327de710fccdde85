package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.content.ContentFilters;
import dev.berth.engine.content.Info;
import dev.berth.engine.content.Status;
import dev.berth.engine.oci.Digest;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth content ls|get|rm|verify|active}: the blobs of the content store, like {@code ctr content}. */
@Command(name = "content", description = "Inspect the content store.",
        subcommands = {ContentCommand.Ls.class, ContentCommand.Get.class, ContentCommand.Rm.class,
            ContentCommand.Verify.class, ContentCommand.Active.class})
public final class ContentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "ls", aliases = "list", description = "List blobs: digest, size, age, labels.")
    static final class Ls extends EngineCommand {
        @Option(names = {"-q", "--quiet"}, description = "Print only the digests.")
        boolean quiet;

        @Parameters(arity = "0..*", paramLabel = "FILTER",
                description = "containerd filters, e.g. labels.\"containerd.io/gc.root\" or size==42 (all must match).")
        List<String> filters = List.of();

        @Override
        protected int run(Engine engine) {
            List<Info> infos = engine.content().list(ContentFilters.parse(String.join(",", filters)));
            if (quiet) {
                infos.forEach(i -> out().println(i.digest()));
                return 0;
            }
            Instant now = Instant.now();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"DIGEST", "SIZE", "AGE", "LABELS"});
            for (Info i : infos) {
                rows.add(new String[] {i.digest().toString(), humanSize(i.size()), age(Duration.between(i.createdAt(), now)),
                    i.labels().isEmpty() ? "-" : i.labels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                            .collect(Collectors.joining(","))});
            }
            Table.print(out(), rows);
            return 0;
        }
    }

    @Command(name = "get", description = "Write a blob to standard output.")
    static final class Get extends EngineCommand {
        @Parameters(index = "0", paramLabel = "DIGEST")
        String digest;

        @Override
        protected int run(Engine engine) throws Exception {
            java.io.OutputStream stdout = Forwarding.stdout();
            try (InputStream in = engine.content().open(Digest.parse(digest))) {
                in.transferTo(stdout);
            }
            stdout.flush();
            return 0;
        }
    }

    @Command(name = "rm", aliases = {"remove", "delete"}, description = "Delete blobs (images that use them break: "
            + "prefer berth images rm and garbage collection).")
    static final class Rm extends EngineCommand {
        @Parameters(arity = "1..*", paramLabel = "DIGEST")
        List<String> digests;

        @Override
        protected int run(Engine engine) {
            int rc = 0;
            for (String d : digests) {
                try {
                    engine.content().delete(Digest.parse(d));
                    out().println(d);
                } catch (dev.berth.engine.errdefs.BerthException e) {
                    err().println("berth: " + e.getMessage());
                    rc = 1;
                }
            }
            return rc;
        }
    }

    @Command(name = "verify", description = "Re-hash blobs and report any whose bytes no longer match their digest.")
    static final class Verify extends EngineCommand {
        @Parameters(arity = "0..*", paramLabel = "DIGEST", description = "Blobs to check (default: all).")
        List<String> digests = List.of();

        @Override
        protected int run(Engine engine) {
            List<Digest> todo = digests.isEmpty()
                    ? engine.content().list(ContentFilters.all()).stream().map(Info::digest).toList()
                    : digests.stream().map(Digest::parse).toList();
            int bad = 0;
            for (Digest d : todo) {
                try {
                    engine.content().verify(d);
                } catch (dev.berth.engine.errdefs.BerthException e) {
                    err().println("berth: " + e.getMessage());
                    bad++;
                }
            }
            out().println(todo.size() - bad + " of " + todo.size() + " blobs verified");
            return bad == 0 ? 0 : 1;
        }
    }

    @Command(name = "active", description = "List ingests in progress: ref, bytes written, total, age.")
    static final class Active extends EngineCommand {
        @Override
        protected int run(Engine engine) {
            Instant now = Instant.now();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"REF", "SIZE", "TOTAL", "STARTED", "UPDATED"});
            for (Status s : engine.content().statuses()) {
                rows.add(new String[] {s.ref(), humanSize(s.offset()), s.total() > 0 ? humanSize(s.total()) : "-",
                    age(Duration.between(s.startedAt(), now)) + " ago", age(Duration.between(s.updatedAt(), now)) + " ago"});
            }
            Table.print(out(), rows);
            return 0;
        }
    }

    static String age(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86400) {
            return s / 3600 + "h";
        }
        return s / 86400 + "d";
    }
}
