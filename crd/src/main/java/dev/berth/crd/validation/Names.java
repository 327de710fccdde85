package dev.berth.crd.validation;

import java.util.Optional;
import java.util.regex.Pattern;

/** Kubernetes name rules (DNS-1123 label and subdomain, label keys and values). Stateless. */
public final class Names {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

    private Names() {
    }

    /** Why {@code s} is not a DNS-1123 label (at most 63 of a-z, 0-9, '-'), or empty. */
    public static Optional<String> dns1123Label(String s) {
        if (s == null || s.isEmpty()) {
            return Optional.of("required");
        }
        if (s.length() > 63) {
            return Optional.of("\"" + s + "\" is longer than 63 characters");
        }
        if (!LABEL.matcher(s).matches()) {
            return Optional.of("\"" + s + "\" is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. my-name)");
        }
        return Optional.empty();
    }

    /** Why {@code s} is not a DNS-1123 subdomain (at most 253, labels joined by '.'), or empty. */
    public static Optional<String> dns1123Subdomain(String s) {
        if (s == null || s.isEmpty()) {
            return Optional.of("required");
        }
        if (s.length() > 253) {
            return Optional.of("\"" + s + "\" is longer than 253 characters");
        }
        if (!SUBDOMAIN.matcher(s).matches()) {
            return Optional.of("\"" + s + "\" is not a DNS-1123 subdomain: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. my-name)");
        }
        return Optional.empty();
    }

    /** Why {@code key} is not a label key ({@code [prefix/]name}), or empty. */
    public static Optional<String> labelKey(String key) {
        String name = key;
        int slash = key.indexOf('/');
        if (slash >= 0) {
            Optional<String> prefix = dns1123Subdomain(key.substring(0, slash));
            if (prefix.isPresent()) {
                return Optional.of("prefix of \"" + key + "\": " + prefix.get());
            }
            name = key.substring(slash + 1);
        }
        if (name.isEmpty() || name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
            return Optional.of("\"" + key + "\" is not a label key: a name of at most 63 letters, digits, '-', '_' or '.', optionally prefixed by a DNS subdomain and '/'");
        }
        return Optional.empty();
    }

    /** Why {@code value} is not a label value (empty, or at most 63 chars like a label name), or empty. */
    public static Optional<String> labelValue(String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        if (value.length() > 63 || !LABEL_NAME.matcher(value).matches()) {
            return Optional.of("\"" + value + "\" is not a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
        }
        return Optional.empty();
    }
}
