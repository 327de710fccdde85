package dev.berth.engine.containers;

import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.metadata.Tx;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Brings an older Berth's containers into the {@code containers} table once, when that table is
 * first made, so an upgraded node keeps its running containers (nothing is recreated):
 * <ul>
 *   <li>each row of the Container reconciler's old {@code container_state} table becomes a record
 *       (snapshot {@code container/<ns>/<name>} in the snapshotter it names) whose extension
 *       {@value #RECONCILER_EXTENSION} is the old row's JSON, and the old table is dropped;</li>
 *   <li>each task in the runtime's {@code tasks} table with no such row (made by {@code berth run})
 *       becomes a record of its bundle's root: the old {@code mount:<dir>} snapshot when the root is
 *       the bundle's {@code rootfs}, else the directory it was given.</li>
 * </ul>
 * The cgroups path is the one in the task's {@code config.json}. One transaction; stateless.
 */
final class LegacyImport {
    /** The extension the Container reconciler keeps its state in. */
    static final String RECONCILER_EXTENSION = "berth.dev/container-reconciler";
    private static final Logger LOG = LoggerFactory.getLogger(LegacyImport.class);

    private final BiFunction<String, String, Path> bundleOf;
    private final String defaultSnapshotter;
    LegacyImport(BiFunction<String, String, Path> bundleOf, String defaultSnapshotter) {
        this.bundleOf = bundleOf;
        this.defaultSnapshotter = defaultSnapshotter;
    }

    private record TaskRow(String ns, String id, String bundle) {
    }

    private record StateRow(String ns, String name, String json) {
    }

    void run(MetadataStore md, Clock clock) {
        int[] counts = md.transaction(tx -> {
            if (table(tx, "containers")) {
                return null;
            }
            tx.update(ContainerRecords.DDL);
            Instant now = clock.instant();
            List<TaskRow> tasks = table(tx, "tasks") ? tx.query("SELECT namespace, id, bundle FROM tasks",
                    rs -> new TaskRow(rs.getString(1), rs.getString(2), rs.getString(3))) : List.of();
            Set<String> done = new HashSet<>();
            int fromState = 0;
            if (table(tx, "container_state")) {
                for (StateRow s : tx.query("SELECT namespace, name, record FROM container_state",
                        rs -> new StateRow(rs.getString(1), rs.getString(2), rs.getString(3)))) {
                    TaskRow t = tasks.stream().filter(r -> r.ns().equals(s.ns()) && r.id().equals(s.name()))
                            .findFirst().orElse(null);
                    Path bundle = t != null ? Path.of(t.bundle()) : bundleOf.apply(s.ns(), s.name());
                    JsonNode rec = OciJson.MAPPER.readTree(s.json());
                    String snapshotter = text(rec, "snapshotter");
                    ContainerRecords.insert(tx, new ContainerInfo(s.ns(), s.name(), text(rec, "imageName"),
                            snapshotter == null ? defaultSnapshotter : snapshotter,
                            Containers.snapshotKey(s.ns(), s.name()), bundle.resolve("rootfs"), bundle,
                            cgroupsPath(bundle), Containers.RUNTIME, null, Map.of(),
                            Map.of(RECONCILER_EXTENSION, s.json()), now, now));
                    done.add(s.ns() + "/" + s.name());
                    fromState++;
                }
                tx.update("DROP TABLE container_state");
                tx.update("DELETE FROM schema_versions WHERE domain='container_state'");
            }
            int fromTasks = 0;
            for (TaskRow t : tasks) {
                if (done.contains(t.ns() + "/" + t.id())) {
                    continue;
                }
                Path bundle = Path.of(t.bundle());
                RuntimeSpec spec = spec(bundle);
                Path root = spec == null || spec.root() == null ? bundle.resolve("rootfs")
                        : bundle.resolve(spec.root().path()).normalize();
                boolean ownRoot = root.equals(bundle.resolve("rootfs"));
                ContainerRecords.insert(tx, new ContainerInfo(t.ns(), t.id(), null, ownRoot ? defaultSnapshotter : null,
                        ownRoot ? "mount:" + root.toAbsolutePath().normalize() : null, root, bundle,
                        spec == null || spec.linux() == null ? null : spec.linux().cgroupsPath(), Containers.RUNTIME, null,
                        Map.of(), Map.of(), now, now));
                fromTasks++;
            }
            return new int[] {fromState, fromTasks};
        });
        if (counts != null && counts[0] + counts[1] > 0) {
            LOG.info("containers table made from {} Container reconciler record(s) and {} other task(s) of an "
                    + "older Berth", counts[0], counts[1]);
        }
    }

    private static boolean table(Tx tx, String name) throws SQLException {
        return tx.exists("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", name);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asString();
    }

    private static String cgroupsPath(Path bundle) {
        RuntimeSpec s = spec(bundle);
        return s == null || s.linux() == null ? null : s.linux().cgroupsPath();
    }

    private static RuntimeSpec spec(Path bundle) {
        try {
            Path f = bundle.resolve("config.json");
            return Files.isRegularFile(f) ? RuntimeSpec.fromJson(Files.readAllBytes(f), f.toString()) : null;
        } catch (IOException | RuntimeException e) {
            LOG.warn("reading {}/config.json while importing containers: {}", bundle, e.getMessage());
            return null;
        }
    }
}
