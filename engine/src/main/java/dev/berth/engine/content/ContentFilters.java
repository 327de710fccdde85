package dev.berth.engine.content;

import dev.berth.engine.errdefs.BerthException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Filters over {@link Info} for {@link ContentManager#walk}, including a parser for containerd's
 * filter syntax as {@code ctr content ls} takes it: comma-separated conjunctions of
 * {@code field==value}, {@code field!=value}, {@code field~=regexp} or a bare {@code field}
 * (present), where field is {@code digest}, {@code size} or {@code labels.<key>} (a key with dots or
 * slashes may be quoted: {@code labels."containerd.io/gc.root"}). Stateless and thread-safe.
 */
public final class ContentFilters {
    private static final Pattern CLAUSE = Pattern.compile(
            "\\s*(digest|size|labels\\.(?:\"([^\"]+)\"|([^=!~\\s]+)))\\s*(?:(==|!=|~=)\\s*(?:\"([^\"]*)\"|([^,]*?)))?\\s*");

    private ContentFilters() {
    }

    public static Predicate<Info> all() {
        return i -> true;
    }

    public static Predicate<Info> labelPresent(String key) {
        return i -> i.labels().containsKey(key);
    }

    public static Predicate<Info> label(String key, String value) {
        return i -> value.equals(i.labels().get(key));
    }

    /** Parses a filter; an empty or null string accepts everything. */
    public static Predicate<Info> parse(String filter) {
        if (filter == null || filter.isBlank()) {
            return all();
        }
        List<Predicate<Info>> parts = new ArrayList<>();
        for (String clause : filter.split(",")) {
            Matcher m = CLAUSE.matcher(clause);
            if (!m.matches()) {
                throw BerthException.invalid("content filter clause \"%s\" is not understood; use field==value, "
                        + "field!=value, field~=regexp or field, with field digest, size or labels.<key>", clause);
            }
            String field = m.group(1);
            String key = m.group(2) != null ? m.group(2) : m.group(3);
            String op = m.group(4);
            String value = m.group(5) != null ? m.group(5) : m.group(6);
            java.util.function.Function<Info, String> get = field.equals("digest") ? i -> i.digest().toString()
                    : field.equals("size") ? i -> Long.toString(i.size())
                    : i -> i.labels().get(key);
            if (op == null) {
                parts.add(i -> get.apply(i) != null);
            } else if (op.equals("==")) {
                parts.add(i -> value.equals(get.apply(i)));
            } else if (op.equals("!=")) {
                parts.add(i -> !value.equals(get.apply(i)));
            } else {
                Pattern re;
                try {
                    re = Pattern.compile(value);
                } catch (RuntimeException e) {
                    throw BerthException.invalid("content filter regexp \"%s\" is invalid: %s", value, e.getMessage());
                }
                parts.add(i -> get.apply(i) != null && re.matcher(get.apply(i)).find());
            }
        }
        return i -> parts.stream().allMatch(p -> p.test(i));
    }
}
