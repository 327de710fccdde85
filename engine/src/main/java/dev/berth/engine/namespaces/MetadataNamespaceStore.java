package dev.berth.engine.namespaces;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.metadata.LabelTable;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.metadata.Tx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@link NamespaceStore} in the metadata database (tables {@code namespaces}, {@code namespace_labels}). Thread-safe. */
public final class MetadataNamespaceStore implements NamespaceStore {
    private static final LabelTable LABELS = new LabelTable("namespace_labels", "namespace", "key", "value");

    private final MetadataStore md;
    private final Clock clock;

    public MetadataNamespaceStore(MetadataStore md, Clock clock) {
        this.md = md;
        this.clock = clock;
        md.migrate("namespaces", List.of(
                "CREATE TABLE namespaces (name TEXT PRIMARY KEY, created_at TEXT NOT NULL)",
                "CREATE TABLE namespace_labels (namespace TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE, "
                        + "key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (namespace, key))"));
    }

    private static void check(String name) {
        if (!NamespaceStore.valid(name)) {
            throw BerthException.invalid("namespace \"%s\" is invalid: use letters and digits separated by single "
                    + "'.', '_' or '-', at most 76 characters", name);
        }
    }

    private static Optional<Namespace> read(Tx tx, String name) throws java.sql.SQLException {
        Optional<java.time.Instant> created = tx.first("SELECT created_at FROM namespaces WHERE name=?",
                rs -> Tx.instant(rs, "created_at"), name);
        if (created.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Namespace(name, LABELS.get(tx, name), created.get()));
    }

    @Override
    public Optional<Namespace> find(String name) {
        return md.query(tx -> read(tx, name));
    }

    @Override
    public List<Namespace> list() {
        return md.query(tx -> {
            Map<String, Map<String, String>> labels = LABELS.all(tx);
            List<Namespace> out = new ArrayList<>();
            for (var r : tx.query("SELECT name, created_at FROM namespaces ORDER BY name",
                    rs -> new Namespace(rs.getString("name"), null, Tx.instant(rs, "created_at")))) {
                out.add(new Namespace(r.name(), labels.get(r.name()), r.createdAt()));
            }
            return out;
        });
    }

    @Override
    public Namespace create(String name, Map<String, String> labels) {
        check(name);
        LabelTable.check("namespace " + name, labels);
        return md.transaction(tx -> {
            if (tx.exists("SELECT 1 FROM namespaces WHERE name=?", name)) {
                throw BerthException.alreadyExists("namespace %s already exists", name);
            }
            tx.update("INSERT INTO namespaces(name, created_at) VALUES(?,?)", name, clock.instant());
            LABELS.replace(tx, name, labels);
            return read(tx, name).orElseThrow();
        });
    }

    @Override
    public Namespace update(String name, Map<String, String> labels, Set<String> paths) {
        check(name);
        return md.transaction(tx -> {
            if (!tx.exists("SELECT 1 FROM namespaces WHERE name=?", name)) {
                tx.update("INSERT INTO namespaces(name, created_at) VALUES(?,?)", name, clock.instant());
            }
            if (paths.isEmpty() || paths.contains("labels")) {
                LabelTable.check("namespace " + name, labels);
                LABELS.replace(tx, name, labels);
            } else {
                Map<String, String> next = new HashMap<>(LABELS.get(tx, name));
                for (String p : paths) {
                    if (!p.startsWith("labels.")) {
                        throw BerthException.invalid("namespace %s: field %s cannot be updated (labels or labels.<key>)",
                                name, p);
                    }
                    String k = p.substring("labels.".length());
                    if (labels.containsKey(k)) {
                        next.put(k, labels.get(k));
                    } else {
                        next.remove(k);
                    }
                }
                LabelTable.check("namespace " + name, next);
                LABELS.replace(tx, name, next);
            }
            return read(tx, name).orElseThrow();
        });
    }

    @Override
    public void delete(String name) {
        boolean deleted = md.transaction(tx -> tx.update("DELETE FROM namespaces WHERE name=?", name) > 0);
        if (!deleted) {
            throw BerthException.notFound("namespace %s not found", name);
        }
    }
}
