package dev.berth.crd.codec;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A manifest that could not be decoded or did not validate. Carries every problem found, each with
 * source, line and field path. Immutable.
 */
public class SpecException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<SpecError> errors;

    public SpecException(List<SpecError> errors) {
        super(errors.stream().map(SpecError::toString).collect(Collectors.joining("\n")));
        this.errors = List.copyOf(errors);
    }

    /** The problems, in document order. Never empty. */
    public List<SpecError> errors() {
        return errors;
    }
}
