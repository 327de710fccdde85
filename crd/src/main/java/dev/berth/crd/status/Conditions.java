package dev.berth.crd.status;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Condition list updates with Kubernetes transition-time semantics: {@code lastTransitionTime}
 * changes only when a condition's {@code status} changes; reason, message and observedGeneration are
 * updated in place. Stateless and thread-safe (the lists passed in are not).
 */
public final class Conditions {
    private Conditions() {
    }

    /** The condition of {@code type} in {@code list}. */
    public static Optional<Condition> find(List<Condition> list, String type) {
        return list == null ? Optional.empty()
                : list.stream().filter(c -> c.type().equals(type)).findFirst();
    }

    /**
     * Sets {@code update} in {@code list} (mutated), stamping {@code lastTransitionTime} with the
     * clock's time when the type is new or its status changed, and keeping the old time otherwise.
     *
     * @return whether anything in the list changed (so a status write is needed)
     */
    public static boolean set(List<Condition> list, Condition update, Clock clock) {
        Objects.requireNonNull(update.type(), "condition type");
        for (int i = 0; i < list.size(); i++) {
            Condition old = list.get(i);
            if (!old.type().equals(update.type())) {
                continue;
            }
            String time = old.status().equals(update.status()) && old.lastTransitionTime() != null
                    ? old.lastTransitionTime() : format(clock.instant());
            Condition merged = new Condition(update.type(), update.status(), update.reason(),
                    update.message(), time, update.observedGeneration());
            if (merged.equals(old)) {
                return false;
            }
            list.set(i, merged);
            return true;
        }
        list.add(new Condition(update.type(), update.status(), update.reason(), update.message(),
                format(clock.instant()), update.observedGeneration()));
        return true;
    }

    /** Removes the condition of {@code type}; returns whether it was there. */
    public static boolean remove(List<Condition> list, String type) {
        return list.removeIf(c -> c.type().equals(type));
    }

    /** RFC 3339 with second precision, as Kubernetes writes {@code metav1.Time}. */
    public static String format(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
    }
}
