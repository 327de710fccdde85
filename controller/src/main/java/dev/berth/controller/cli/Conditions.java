package dev.berth.controller.cli;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

/** Reads status conditions from an object's JSON. */
final class Conditions {
    private Conditions() {
    }

    static JsonNode find(JsonNode object, String type) {
        for (JsonNode c : object.path("status").path("conditions")) {
            if (type.equals(c.path("type").asText())) {
                return c;
            }
        }
        return MissingNode.getInstance();
    }
}
