package dev.berth.engine.config;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;

/** A config.toml that cannot be used: names the file, the line and what was expected. */
public final class ConfigException extends BerthException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(ErrorCategory.INVALID_ARGUMENT, message);
    }

    public ConfigException(String message, Throwable cause) {
        super(ErrorCategory.INVALID_ARGUMENT, message, cause);
    }
}
