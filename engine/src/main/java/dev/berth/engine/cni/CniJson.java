package dev.berth.engine.cni;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The JSON mapper of CNI documents (unknown fields kept in trees, ignored in records). Thread-safe. */
final class CniJson {
    static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private CniJson() {
    }
}
