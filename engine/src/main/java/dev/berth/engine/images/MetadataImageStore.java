package dev.berth.engine.images;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.events.EventBus;
import dev.berth.engine.metadata.LabelTable;
import dev.berth.engine.metadata.MemoryMirror;
import dev.berth.engine.metadata.MetadataStore;
import dev.berth.engine.oci.Descriptor;
import dev.berth.engine.oci.OciJson;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import tools.jackson.core.type.TypeReference;

/**
 * {@link ImageStore} in the metadata database (table {@code images}, domain {@code images}): the
 * target descriptor is stored as its JSON, labels as a JSON object. Reads come from a
 * {@link MemoryMirror} of the table (the engine owns its root alone), writes go to SQLite first.
 * Thread-safe.
 */
public final class MetadataImageStore implements ImageStore {
    private static final String SELECT = "SELECT name, target, labels, created_at, updated_at FROM images";
    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() { };

    private final MetadataStore md;
    private final Clock clock;
    /** Every image record: reconciles read one per Image each time; pulls, tags and GC write them. */
    private final MemoryMirror<String, Image> mirror;

    private final EventBus events;

    public MetadataImageStore(MetadataStore md, Clock clock) {
        this(md, clock, EventBus.NONE);
    }

    /** A store that publishes each create, update and delete (containerd's image topics) on {@code events}. */
    public MetadataImageStore(MetadataStore md, Clock clock, EventBus events) {
        this.events = events;
        this.md = md;
        this.clock = clock;
        md.migrate("images", List.of(
                "CREATE TABLE images (name TEXT PRIMARY KEY, target TEXT NOT NULL, labels TEXT NOT NULL, "
                        + "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"));
        this.mirror = MemoryMirror.load(md, SELECT, MetadataImageStore::row, Image::name);
    }

    @Override
    public Image get(String name) {
        return find(name).orElseThrow(() -> BerthException.notFound("image %s not found; see berth images ls", name));
    }

    @Override
    public Optional<Image> find(String name) {
        return name == null ? Optional.empty() : mirror.get(name);
    }

    @Override
    public List<Image> list(Predicate<Image> filter) {
        return mirror.list(filter);
    }

    @Override
    public Image create(Image image) {
        validate(image);
        Instant now = clock.instant();
        Image stored = new Image(image.name(), image.target(), image.labels(), now, now);
        mirror.write(() -> md.transaction(tx -> {
            if (tx.exists("SELECT 1 FROM images WHERE name=?", image.name())) {
                throw BerthException.alreadyExists("image %s already exists", image.name());
            }
            tx.update("INSERT INTO images(name, target, labels, created_at, updated_at) VALUES(?,?,?,?,?)",
                    stored.name(), json(stored.target()), json(stored.labels()), now, now);
            return stored;
        }), (img, changes) -> changes.put(img));
        events.publish(EngineEvent.IMAGE_CREATE, Map.of("name", stored.name()), stored.labels());
        return stored;
    }

    @Override
    public Image update(Image image, Set<String> fieldPaths) {
        if (image.name() == null || image.name().isEmpty()) {
            throw BerthException.invalid("image name must not be empty");
        }
        for (String p : fieldPaths) {
            if (!p.equals("target") && !p.equals("labels") && !p.startsWith("labels.")) {
                throw BerthException.invalid("cannot update field \"%s\" of image %s; use target, labels or labels.<key>",
                        p, image.name());
            }
        }
        Image updated = mirror.write(() -> md.transaction(tx -> {
            Image cur = tx.first(SELECT + " WHERE name=?", MetadataImageStore::row, image.name())
                    .orElseThrow(() -> BerthException.notFound("image %s not found", image.name()));
            Descriptor target = cur.target();
            Map<String, String> labels = new LinkedHashMap<>(cur.labels());
            boolean all = fieldPaths.isEmpty();
            if (all || fieldPaths.contains("target")) {
                target = image.target();
            }
            if (all || fieldPaths.contains("labels")) {
                labels = new LinkedHashMap<>(image.labels());
            } else {
                for (String p : fieldPaths) {
                    if (p.startsWith("labels.")) {
                        String k = p.substring("labels.".length());
                        if (image.labels().containsKey(k)) {
                            labels.put(k, image.labels().get(k));
                        } else {
                            labels.remove(k);
                        }
                    }
                }
            }
            Image next = new Image(cur.name(), target, labels, cur.createdAt(), clock.instant());
            validate(next);
            tx.update("UPDATE images SET target=?, labels=?, updated_at=? WHERE name=?", json(next.target()),
                    json(next.labels()), next.updatedAt(), next.name());
            return next;
        }), (img, changes) -> changes.put(img));
        events.publish(EngineEvent.IMAGE_UPDATE, Map.of("name", updated.name()), updated.labels());
        return updated;
    }

    @Override
    public void delete(String name) {
        boolean deleted = mirror.write(() -> md.transaction(tx -> tx.update("DELETE FROM images WHERE name=?", name) > 0),
                (gone, changes) -> changes.remove(name));
        if (!deleted) {
            throw BerthException.notFound("image %s not found; see berth images ls", name);
        }
        events.publish(EngineEvent.IMAGE_DELETE, Map.of("name", name));
    }

    private static void validate(Image image) {
        if (image.name() == null || image.name().isBlank()) {
            throw BerthException.invalid("image name must not be empty");
        }
        if (image.name().chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f || Character.isWhitespace(ch))) {
            throw BerthException.invalid("image name \"%s\" contains whitespace or control characters", image.name());
        }
        Descriptor t = image.target();
        if (t == null || t.digest() == null || t.mediaType() == null || t.size() <= 0) {
            throw BerthException.invalid("image %s needs a target with media type, digest and size", image.name());
        }
        LabelTable.check("image " + image.name(), image.labels());
    }

    private static Image row(ResultSet rs) throws SQLException {
        Descriptor target = OciJson.read(rs.getString(2).getBytes(StandardCharsets.UTF_8), Descriptor.class, "image target");
        Map<String, String> labels = OciJson.MAPPER.readValue(rs.getString(3), LABELS);
        return new Image(rs.getString(1), target, labels, Instant.parse(rs.getString(4)), Instant.parse(rs.getString(5)));
    }

    private static String json(Object o) {
        return new String(OciJson.write(o), StandardCharsets.UTF_8);
    }
}
