package dev.berth.controller.grpc;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * containerd's list filters for images, snapshots and containers: the request's filters are ORed;
 * each is a comma-separated AND of {@code field==value}, {@code field!=value}, {@code field~=regexp}
 * or a bare {@code field} (present). Fields are the object's top-level names ({@code name}, {@code id},
 * {@code image}, …) and {@code labels.<key>} (quoted when it holds dots: {@code labels."a.b/c"}).
 * Stateless.
 */
final class Filters {
    private static final Pattern CLAUSE = Pattern.compile(
            "\\s*([a-z_]+|labels\\.(?:\"([^\"]+)\"|([^=!~\\s,]+)))\\s*(?:(==|!=|~=)\\s*(?:\"([^\"]*)\"|([^,]*?)))?\\s*");

    private Filters() {
    }

    /**
     * @param fields the object's plain fields by name
     * @param labels the object's labels
     */
    record Target(Map<String, String> fields, Map<String, String> labels) {
    }

    static <T> Predicate<T> parse(List<String> filters, Function<T, Target> view) {
        if (filters.isEmpty()) {
            return t -> true;
        }
        List<Predicate<Target>> any = filters.stream().map(Filters::parseOne).toList();
        return t -> {
            Target v = view.apply(t);
            return any.stream().anyMatch(p -> p.test(v));
        };
    }

    private static Predicate<Target> parseOne(String filter) {
        Predicate<Target> all = t -> true;
        for (String clause : filter.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")) {
            if (clause.isBlank()) {
                continue;
            }
            Matcher m = CLAUSE.matcher(clause);
            if (!m.matches()) {
                throw Errors.invalid("filter \"%s\": expected field==value, field!=value, field~=regexp or field", clause);
            }
            String key = m.group(2) != null ? m.group(2) : m.group(3);
            String field = m.group(1);
            Function<Target, String> get = key != null ? t -> t.labels().get(key) : t -> t.fields().get(field);
            String op = m.group(4);
            String value = m.group(5) != null ? m.group(5) : m.group(6);
            Predicate<Target> p;
            if (op == null) {
                p = t -> get.apply(t) != null;
            } else if (op.equals("==")) {
                p = t -> value.equals(get.apply(t));
            } else if (op.equals("!=")) {
                p = t -> !value.equals(get.apply(t));
            } else {
                Pattern re;
                try {
                    re = Pattern.compile(value);
                } catch (PatternSyntaxException e) {
                    throw Errors.invalid("filter \"%s\": regexp is invalid: %s", clause, e.getDescription());
                }
                p = t -> get.apply(t) != null && re.matcher(get.apply(t)).find();
            }
            all = all.and(p);
        }
        return all;
    }
}
