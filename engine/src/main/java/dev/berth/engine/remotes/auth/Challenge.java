package dev.berth.engine.remotes.auth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One authentication challenge from a {@code WWW-Authenticate} header, e.g. {@code Bearer
 * realm="https://auth.example/token",service="registry",scope="repository:x:pull"}. Immutable.
 *
 * @param scheme lower-case scheme ({@code bearer}, {@code basic})
 * @param params parameters with lower-case names
 */
public record Challenge(String scheme, Map<String, String> params) {
    public Challenge {
        params = Map.copyOf(params);
    }

    public String param(String name) {
        return params.get(name);
    }

    /** Parses every challenge in the given header values; unparsable pieces are skipped. */
    public static List<Challenge> parse(List<String> headerValues) {
        List<Challenge> out = new ArrayList<>();
        for (String v : headerValues) {
            parseOne(v, out);
        }
        return out;
    }

    private static void parseOne(String s, List<Challenge> out) {
        int i = 0;
        int n = s.length();
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        while (i < n) {
            while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == ',')) {
                i++;
            }
            int start = i;
            while (i < n && isToken(s.charAt(i))) {
                i++;
            }
            if (start == i) {
                i++;
                continue;
            }
            String token = s.substring(start, i);
            int j = i;
            while (j < n && s.charAt(j) == ' ') {
                j++;
            }
            if (j < n && s.charAt(j) == '=' && scheme != null) {
                j++;
                while (j < n && s.charAt(j) == ' ') {
                    j++;
                }
                StringBuilder value = new StringBuilder();
                if (j < n && s.charAt(j) == '"') {
                    j++;
                    while (j < n && s.charAt(j) != '"') {
                        if (s.charAt(j) == '\\' && j + 1 < n) {
                            j++;
                        }
                        value.append(s.charAt(j++));
                    }
                    j++;
                } else {
                    while (j < n && s.charAt(j) != ',' && s.charAt(j) != ' ') {
                        value.append(s.charAt(j++));
                    }
                }
                params.put(token.toLowerCase(Locale.ROOT), value.toString());
                i = j;
            } else {
                if (scheme != null) {
                    out.add(new Challenge(scheme, params));
                    params = new LinkedHashMap<>();
                }
                scheme = token.toLowerCase(Locale.ROOT);
                i = j;
            }
        }
        if (scheme != null) {
            out.add(new Challenge(scheme, params));
        }
    }

    private static boolean isToken(char c) {
        return Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
}
