package dev.berth.crd.validation;

/** A validation problem at a field path ({@code spec.resources.memory}). Immutable. */
public record FieldError(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
