package dev.berth.controller.api;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** One request to the local API: method, matched path parameters, query parameters and body. Immutable. */
public record ApiRequest(String method, String path, Map<String, String> params, Map<String, String> query,
        byte[] body) {
    public String param(String name) {
        return params.get(name);
    }

    public String query(String name, String dflt) {
        return query.getOrDefault(name, dflt);
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
