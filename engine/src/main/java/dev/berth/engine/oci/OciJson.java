package dev.berth.engine.oci;

import dev.berth.engine.errdefs.BerthException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** JSON encoding of the OCI types. Thread-safe. */
public final class OciJson {
    private OciJson() {
    }

    /** Unknown fields are ignored, as registries add their own. */
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Decodes {@code json} as {@code type}; malformed input is INVALID_ARGUMENT naming {@code what}. */
    public static <T> T read(byte[] json, Class<T> type, String what) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JacksonException e) {
            throw BerthException.invalid("%s is not a valid %s: %s", what, type.getSimpleName(),
                    e.getOriginalMessage());
        }
    }

    /** Encodes compactly (the bytes that get digested). */
    public static byte[] write(Object value) {
        return MAPPER.writeValueAsBytes(value);
    }
}
