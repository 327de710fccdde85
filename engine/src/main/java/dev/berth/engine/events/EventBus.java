package dev.berth.engine.events;

import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The engine's event stream: the stores publish what they did (whoever asked: a reconciler, the CLI,
 * a gRPC client), subscribers (containerd's Events service) receive it on the publishing thread, so a
 * subscriber must only hand the event on. A subscriber that throws is logged and kept; publishing never
 * fails the operation that published. With no subscriber a publish costs one list check.
 *
 * <p>The namespace of node-wide stores' events comes from {@link #actingFor}, set by whoever runs an
 * operation on behalf of a namespace (the controller's workers around each reconcile). Thread-safe.
 */
public final class EventBus {
    /** A bus nobody listens to: what stores opened outside an engine publish to. */
    public static final EventBus NONE = new EventBus();

    private static final Logger LOG = Logger.getLogger(EventBus.class.getName());
    private static final ThreadLocal<String> ACTING = new ThreadLocal<>();

    private final CopyOnWriteArrayList<Consumer<EngineEvent>> subscribers = new CopyOnWriteArrayList<>();

    /** Calls {@code subscriber} with every event from now on, until the returned handle is closed. */
    public AutoCloseable subscribe(Consumer<EngineEvent> subscriber) {
        if (this == NONE) {
            throw new IllegalStateException("EventBus.NONE takes no subscribers");
        }
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    /** Publishes in the acting namespace of this thread (null when none is set). */
    public void publish(String topic, Map<String, String> fields) {
        publish(topic, fields, Map.of());
    }

    /** Publishes with labels, in the acting namespace of this thread. */
    public void publish(String topic, Map<String, String> fields, Map<String, String> labels) {
        if (!subscribers.isEmpty()) {
            deliver(new EngineEvent(topic, ACTING.get(), fields, labels));
        }
    }

    /** Publishes in {@code namespace} (per-namespace things: containers and tasks). */
    public void publishIn(String namespace, String topic, Map<String, String> fields, Map<String, String> labels) {
        if (!subscribers.isEmpty()) {
            deliver(new EngineEvent(topic, namespace, fields, labels));
        }
    }

    private void deliver(EngineEvent e) {
        for (Consumer<EngineEvent> s : subscribers) {
            try {
                s.accept(e);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "event subscriber failed on " + e.topic(), ex);
            }
        }
    }

    /**
     * Marks this thread as acting for {@code namespace} until the handle is closed (restoring what was
     * set before): node-wide stores' events published meanwhile carry it.
     */
    public static Scope actingFor(String namespace) {
        String before = ACTING.get();
        ACTING.set(namespace);
        return () -> {
            if (before == null) {
                ACTING.remove();
            } else {
                ACTING.set(before);
            }
        };
    }

    /** A namespace marking that ends without a checked exception. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
