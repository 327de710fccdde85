package dev.berth.controller.events;

import dev.berth.crd.ObjectRef;
import dev.berth.engine.metadata.MetadataStore;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes-style events about objects (Pulled, Started, BackOff, OOMKilled, Failed…), kept in the
 * metadata database (the newest {@value #KEEP} in all) and shown by {@code berth describe} and
 * {@code berth events}. A repeat of the same object, type, reason and message within a minute
 * increments the count of the last event instead of adding one, as the Kubernetes event recorder
 * does. Listeners (watch streams, Kubernetes Events mirroring) see every recorded event. Thread-safe.
 */
public final class EventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    static final int KEEP = 5000;

    /** One event; {@code count} is how many times it happened in a row. */
    public record Event(long id, Instant firstTime, Instant lastTime, ObjectRef object, String type, String reason,
            String message, int count) {
    }

    private final MetadataStore db;
    private final Clock clock;
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();

    public EventRecorder(MetadataStore db, Clock clock) {
        this.db = db;
        this.clock = clock;
        db.migrate("events", List.of(
                "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, first_time TEXT NOT NULL, "
                        + "last_time TEXT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, "
                        + "type TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL, count INTEGER NOT NULL)",
                "CREATE INDEX events_object ON events (kind, namespace, name)"));
    }

    public void addListener(Consumer<Event> l) {
        listeners.add(l);
    }

    public void removeListener(Consumer<Event> l) {
        listeners.remove(l);
    }

    public void normal(ObjectRef object, String reason, String message) {
        record(object, "Normal", reason, message);
    }

    public void warning(ObjectRef object, String reason, String message) {
        record(object, "Warning", reason, message);
    }

    public void record(ObjectRef object, String type, String reason, String message) {
        Instant now = clock.instant();
        Event e = db.transaction(tx -> {
            Optional<Event> last = tx.first("SELECT * FROM events WHERE kind=? AND namespace=? AND name=? "
                    + "ORDER BY id DESC LIMIT 1", EventRecorder::row, object.kind(), object.namespace(), object.name());
            if (last.isPresent() && last.get().type().equals(type) && last.get().reason().equals(reason)
                    && last.get().message().equals(message) && last.get().lastTime().plusSeconds(60).isAfter(now)) {
                Event l = last.get();
                tx.update("UPDATE events SET count=count+1, last_time=? WHERE id=?", now, l.id());
                return new Event(l.id(), l.firstTime(), now, object, type, reason, message, l.count() + 1);
            }
            long id = tx.first("INSERT INTO events (first_time, last_time, kind, namespace, name, type, reason, message, "
                    + "count) VALUES (?,?,?,?,?,?,?,?,1) RETURNING id", rs -> rs.getLong(1), now, now, object.kind(),
                    object.namespace(), object.name(), type, reason, message).orElseThrow();
            if (id % 500 == 0) {
                tx.update("DELETE FROM events WHERE id <= ?", id - KEEP);
            }
            return new Event(id, now, now, object, type, reason, message, 1);
        });
        if ("Warning".equals(type)) {
            LOG.warn("{} {}: {}", object, reason, message);
        } else {
            LOG.info("{} {}: {}", object, reason, message);
        }
        listeners.forEach(l -> l.accept(e));
    }

    /** Events of one object (all objects when null), oldest first, at most {@code limit}. */
    public List<Event> list(ObjectRef object, int limit) {
        return db.query(tx -> object == null
                ? tx.query("SELECT * FROM (SELECT * FROM events ORDER BY id DESC LIMIT ?) ORDER BY id", EventRecorder::row,
                        limit)
                : tx.query("SELECT * FROM (SELECT * FROM events WHERE kind=? AND namespace=? AND name=? "
                        + "ORDER BY id DESC LIMIT ?) ORDER BY id", EventRecorder::row, object.kind(), object.namespace(),
                        object.name(), limit));
    }

    private static Event row(ResultSet rs) throws java.sql.SQLException {
        return new Event(rs.getLong("id"), Instant.parse(rs.getString("first_time")),
                Instant.parse(rs.getString("last_time")),
                new ObjectRef(rs.getString("kind"), rs.getString("namespace"), rs.getString("name")),
                rs.getString("type"), rs.getString("reason"), rs.getString("message"), rs.getInt("count"));
    }
}
