package dev.berth.engine.errdefs;

/**
 * An engine failure with a {@link ErrorCategory} and a message a user can act on: what failed, on
 * which object or field, and what to do about it. Immutable and thread-safe.
 */
public class BerthException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCategory category;

    public BerthException(ErrorCategory category, String message) {
        super(message);
        this.category = category;
    }

    public BerthException(ErrorCategory category, String message, Throwable cause) {
        super(message, cause);
        this.category = category;
    }

    public ErrorCategory category() {
        return category;
    }

    public static BerthException notFound(String fmt, Object... args) {
        return new BerthException(ErrorCategory.NOT_FOUND, String.format(fmt, args));
    }

    public static BerthException alreadyExists(String fmt, Object... args) {
        return new BerthException(ErrorCategory.ALREADY_EXISTS, String.format(fmt, args));
    }

    public static BerthException invalid(String fmt, Object... args) {
        return new BerthException(ErrorCategory.INVALID_ARGUMENT, String.format(fmt, args));
    }

    public static BerthException precondition(String fmt, Object... args) {
        return new BerthException(ErrorCategory.FAILED_PRECONDITION, String.format(fmt, args));
    }

    public static BerthException unavailable(String fmt, Object... args) {
        return new BerthException(ErrorCategory.UNAVAILABLE, String.format(fmt, args));
    }

    public static BerthException internal(String message, Throwable cause) {
        return new BerthException(ErrorCategory.INTERNAL, message, cause);
    }

    /** True when {@code t} is a BerthException of the given category. */
    public static boolean is(Throwable t, ErrorCategory category) {
        return t instanceof BerthException b && b.category == category;
    }

    /** Adds context in front of the message, keeping the category. */
    public BerthException wrap(String context) {
        return new BerthException(category, context + ": " + getMessage(), this);
    }
}
