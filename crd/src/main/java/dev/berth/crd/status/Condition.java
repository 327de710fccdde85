package dev.berth.crd.status;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;

/**
 * One observation about an object, as in Kubernetes {@code metav1.Condition}: {@code type} (Ready,
 * Progressing, Degraded), {@code status} ("True", "False", "Unknown"), a CamelCase {@code reason}, a
 * human {@code message}, when the status last changed ({@code lastTransitionTime}, RFC 3339) and
 * the generation it was computed for. Immutable; see {@link Conditions} for the update rules.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Condition(@Required String type, @Required String status, String reason, String message,
        String lastTransitionTime, Long observedGeneration) {

    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";

    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    /** A condition without a transition time; {@link Conditions#set} stamps it. */
    public static Condition of(String type, boolean status, String reason, String message) {
        return new Condition(type, status ? TRUE : FALSE, reason, message, null, null);
    }

    /** Whether {@code status} is "True". */
    @JsonIgnore
    public boolean isTrue() {
        return TRUE.equals(status);
    }
}
