package dev.berth.crd.codec;

/**
 * One problem found in a manifest: where (source, 1-based line, field path) and what. {@code line}
 * is 0 when unknown, {@code path} empty for syntax errors. Immutable.
 */
public record SpecError(String source, int line, String path, String message) {

    /** {@code source:line: path: message}, the form editors and CI logs link to. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(source);
        if (line > 0) {
            b.append(':').append(line);
        }
        b.append(": ");
        if (path != null && !path.isEmpty()) {
            b.append(path).append(": ");
        }
        return b.append(message).toString();
    }
}
