package dev.berth.engine.namespaces;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Namespaces created explicitly (containerd's {@code Namespaces/Create}, {@code ctr namespaces
 * create}) with their labels. Berth's objects and tasks name their namespace without a record, as
 * containerd makes a namespace on first use; this store keeps the ones that were made on purpose
 * and their labels. Implementations are thread-safe.
 */
public interface NamespaceStore {
    /** containerd's namespace name rule: letters and digits, single {@code . _ -} between, at most 76. */
    Pattern NAME = Pattern.compile("[a-zA-Z0-9]+(?:[._-][A-Za-z0-9]+)*");

    /** Whether {@code name} is a valid namespace name. */
    static boolean valid(String name) {
        return name != null && name.length() <= 76 && NAME.matcher(name).matches();
    }

    Optional<Namespace> find(String name);

    List<Namespace> list();

    /** Creates a record; ALREADY_EXISTS when there is one, INVALID_ARGUMENT for a bad name or label. */
    Namespace create(String name, Map<String, String> labels);

    /**
     * Changes labels, creating the record when the namespace had none: {@code paths} empty or
     * {@code labels} replaces all; {@code labels.<key>} sets or (absent from {@code labels}) removes one.
     */
    Namespace update(String name, Map<String, String> labels, Set<String> paths);

    /** Removes the record; NOT_FOUND when there is none. The caller checks that nothing uses it. */
    void delete(String name);
}
