package dev.berth.controller.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Batches a streamed listing into messages of at most {@code size} items, as containerd's list
 * streams chunk their replies. Not thread-safe: one listing at a time.
 */
final class Pages<T> implements Consumer<T> {
    /** Items per message of a listing stream. */
    static final int SIZE = 100;

    private final Consumer<List<T>> emit;
    private final List<T> page = new ArrayList<>();

    Pages(Consumer<List<T>> emit) {
        this.emit = emit;
    }

    @Override
    public void accept(T item) {
        page.add(item);
        if (page.size() == SIZE) {
            flush();
        }
    }

    /** Sends what is left. */
    void flush() {
        if (!page.isEmpty()) {
            emit.accept(List.copyOf(page));
            page.clear();
        }
    }
}
