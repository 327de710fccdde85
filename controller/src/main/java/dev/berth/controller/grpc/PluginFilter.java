package dev.berth.controller.grpc;

import dev.berth.api.containerd.services.introspection.v1.Plugin;

/**
 * The subset of containerd's filter syntax that {@code ctr plugins ls} filters use on plugins:
 * comma-separated {@code field==value} or {@code field!=value} clauses over {@code type} and
 * {@code id}, all of which must hold. Stateless.
 */
final class PluginFilter {
    private PluginFilter() {
    }

    static boolean matches(String filter, Plugin p) {
        for (String clause : filter.split(",")) {
            String c = clause.trim();
            if (c.isEmpty()) {
                continue;
            }
            boolean negate = c.contains("!=");
            String[] kv = c.split(negate ? "!=" : "==", 2);
            if (kv.length != 2) {
                throw Errors.invalid("plugin filter \"%s\": expected field==value or field!=value", c);
            }
            String value = unquote(kv[1].trim());
            String actual = switch (kv[0].trim()) {
                case "type" -> p.getType();
                case "id" -> p.getId();
                default -> throw Errors.invalid("plugin filter \"%s\": the fields are type and id", c);
            };
            if (actual.equals(value) == negate) {
                return false;
            }
        }
        return true;
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
}
