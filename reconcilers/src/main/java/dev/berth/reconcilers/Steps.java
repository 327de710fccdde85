package dev.berth.reconcilers;

import dev.berth.crd.status.BerthStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reconcile written as short named steps over one pass's state (what the reconcile observed and
 * decided so far): each step either lets the next one run or ends the reconcile with its
 * {@link Outcome}; the last step always ends it (it reports). Built once per reconciler, run once
 * per reconcile; immutable and thread-safe (the pass object is the reconcile's own).
 *
 * <pre>{@code
 * Steps<Pass, ContainerStatus> steps = Steps.<Pass, ContainerStatus>first("await dependencies", this::awaitDependencies)
 *         .then("recreate if changed", this::recreateIfChanged)
 *         .last("report", this::report);
 * }</pre>
 *
 * @param <P> the pass's state
 * @param <S> the kind's status type
 */
public final class Steps<P, S extends BerthStatus> {
    private static final Logger LOG = LoggerFactory.getLogger(Steps.class);

    /** A step that may end the reconcile (a present outcome) or let the next step run (empty). */
    @FunctionalInterface
    public interface Step<P, S extends BerthStatus> {
        Optional<Outcome<S>> run(P pass) throws Exception;
    }

    /** The step that ends every reconcile that got this far. */
    @FunctionalInterface
    public interface Last<P, S extends BerthStatus> {
        Outcome<S> run(P pass) throws Exception;
    }

    private record Named<P, S extends BerthStatus>(String name, Step<P, S> step) {
    }

    private final List<Named<P, S>> steps;
    private final String lastName;
    private final Last<P, S> last;

    private Steps(List<Named<P, S>> steps, String lastName, Last<P, S> last) {
        this.steps = List.copyOf(steps);
        this.lastName = lastName;
        this.last = last;
    }

    /** Starts a sequence with {@code step}. */
    public static <P, S extends BerthStatus> Builder<P, S> first(String name, Step<P, S> step) {
        return new Builder<P, S>().then(name, step);
    }

    /** Runs the steps in order on {@code pass}; the outcome of the first step that ends the reconcile. */
    public Outcome<S> run(P pass) throws Exception {
        for (Named<P, S> s : steps) {
            Optional<Outcome<S>> out = s.step().run(pass);
            if (out.isPresent()) {
                if (LOG.isTraceEnabled()) {
                    LOG.trace("reconcile ended at step '{}': {}", s.name(), out.get().result());
                }
                return out.get();
            }
        }
        return last.run(pass);
    }

    /**
     * Runs the steps on the pass {@code observe} makes, as {@link #run}; when observing or a step
     * throws, what was written into {@code status} until then is returned with the failure
     * ({@link Outcome#failed}), so the error is reported beside what was observed.
     */
    public Outcome<S> runKeepingStatus(java.util.concurrent.Callable<P> observe, S status) {
        try {
            return run(observe.call());
        } catch (Exception e) {
            return Outcome.failed(status, e);
        }
    }

    /** The step names, in order (the last one included). */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        steps.forEach(s -> names.add(s.name()));
        names.add(lastName);
        return names;
    }

    @Override
    public String toString() {
        return String.join(" → ", names());
    }

    /** Collects the steps; not thread-safe (build once, then share the {@link Steps}). */
    public static final class Builder<P, S extends BerthStatus> {
        private final List<Named<P, S>> steps = new ArrayList<>();

        private Builder() {
        }

        /** Adds {@code step} after the ones so far. */
        public Builder<P, S> then(String name, Step<P, S> step) {
            steps.add(new Named<>(Objects.requireNonNull(name, "name"), Objects.requireNonNull(step, "step")));
            return this;
        }

        /** Ends the sequence with the step that reports. */
        public Steps<P, S> last(String name, Last<P, S> step) {
            return new Steps<>(steps, Objects.requireNonNull(name, "name"), Objects.requireNonNull(step, "step"));
        }
    }
}
