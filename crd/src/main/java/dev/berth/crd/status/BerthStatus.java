package dev.berth.crd.status;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What every Berth status carries: the generation it was computed for and its conditions. Status
 * objects are mutable beans written by one reconcile at a time; not thread-safe.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class BerthStatus implements Cloneable {
    private Long observedGeneration;
    private List<Condition> conditions = new ArrayList<>();

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions == null ? new ArrayList<>() : new ArrayList<>(conditions);
    }

    /**
     * Sets a condition with {@link Conditions#set} semantics (the transition time changes only with
     * the status); returns whether anything changed.
     */
    public boolean setCondition(Condition condition, java.time.Clock clock) {
        return Conditions.set(conditions, condition, clock);
    }

    /** The condition of {@code type}, if set. */
    public Optional<Condition> condition(String type) {
        return Conditions.find(conditions, type);
    }

    /** Whether the Ready condition is True. */
    @JsonIgnore
    public boolean isReady() {
        return condition(Condition.READY).map(Condition::isTrue).orElse(false);
    }

    /**
     * The kind's lifecycle phase as {@code status.phase} shows it ({@code Running}, {@code CrashLoopBackOff},
     * ...), for kinds that have one; null for the others and before a phase was observed.
     */
    @JsonIgnore
    public String phaseName() {
        return null;
    }

    /**
     * A copy to edit: the same values, its own lists (the values themselves are immutable: records,
     * strings, numbers). Subclasses with more lists copy them too.
     */
    public BerthStatus copy() {
        try {
            BerthStatus c = (BerthStatus) super.clone();
            c.conditions = new ArrayList<>(conditions);
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError("Cloneable", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass()
                && Objects.equals(observedGeneration, ((BerthStatus) o).observedGeneration)
                && Objects.equals(conditions, ((BerthStatus) o).conditions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions);
    }
}
