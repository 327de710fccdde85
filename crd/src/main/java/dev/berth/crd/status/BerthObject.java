package dev.berth.crd.status;

import io.fabric8.kubernetes.client.CustomResource;

/**
 * What every Berth kind offers (beside its {@link BerthStatus}) besides being a {@link CustomResource}: a shallow copy made without
 * fabric8's constructor (which looks up annotations and pluralises the kind on every instance), so
 * the daemon can hand out an object with another status cheaply. Not thread-safe (the kinds are beans).
 */
public interface BerthObject {
    /** A copy sharing this object's metadata, spec and status instances. */
    CustomResource<?, ?> shallowCopy();

    /** {@code Object.clone()} as a kind calls it: {@code return BerthObject.cloned(super::clone);}. */
    @FunctionalInterface
    interface Clone {
        Object run() throws CloneNotSupportedException;
    }

    /** Runs a kind's {@code super::clone} (the kind implements {@link Cloneable}, so it cannot fail). */
    @SuppressWarnings("unchecked")
    static <T> T cloned(Clone clone) {
        try {
            return (T) clone.run();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError("a Berth kind is Cloneable", e);
        }
    }
}
