package dev.berth.engine.metadata;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A table's typed rows kept in memory beside SQLite, for tables read far more often than written
 * (a reconcile reads an image record each time; it is written on pull). Safe only because one
 * process owns a root at a time (see {@link RootLock}): nothing else writes the table while this
 * copy lives. The copy is loaded once, and changes reach it only through {@link #write}, after
 * their transaction committed and in commit order. Reads never touch SQLite. Thread-safe.
 *
 * @param <K> the row key (ordered like the table's primary key)
 * @param <R> the row type, immutable
 */
public final class MemoryMirror<K extends Comparable<K>, R> {
    private final ConcurrentSkipListMap<K, R> rows = new ConcurrentSkipListMap<>();
    private final Function<R, K> key;
    private final Object writes = new Object();

    private MemoryMirror(Function<R, K> key) {
        this.key = key;
    }

    /**
     * Loads every row {@code select} returns (read by {@code reader}, which may return null for a row
     * it chooses to leave out, e.g. one it cannot read), keyed by {@code key}.
     */
    public static <K extends Comparable<K>, R> MemoryMirror<K, R> load(MetadataStore md, String select,
            Tx.RowReader<R> reader, Function<R, K> key) {
        MemoryMirror<K, R> m = new MemoryMirror<>(key);
        for (R r : md.query(tx -> tx.query(select, reader))) {
            if (r != null) {
                m.rows.put(key.apply(r), r);
            }
        }
        return m;
    }

    public Optional<R> get(K k) {
        return Optional.ofNullable(rows.get(k));
    }

    /** The rows {@code filter} accepts, in key order. */
    public List<R> list(Predicate<R> filter) {
        return rows.values().stream().filter(filter).toList();
    }

    /** The rows with keys from {@code from} (inclusive) to {@code to} (exclusive), in key order. */
    public List<R> range(K from, K to) {
        return List.copyOf(rows.subMap(from, true, to, false).values());
    }

    /** The changes one write makes to the copy, applied once its transaction committed. */
    public final class Changes {
        private Changes() {
        }

        public void put(R row) {
            rows.put(key.apply(row), row);
        }

        public void remove(K k) {
            rows.remove(k);
        }
    }

    /**
     * Runs {@code transaction} (which commits or throws) and then {@code apply} with its result, under
     * one lock, so the copy changes in commit order and never shows an uncommitted row.
     */
    public <T> T write(Supplier<T> transaction, BiConsumer<T, Changes> apply) {
        synchronized (writes) {
            T result = transaction.get();
            apply.accept(result, new Changes());
            return result;
        }
    }
}
