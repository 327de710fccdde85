package dev.berth.crd.validation;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Syntax check of image references, following the distribution reference grammar:
 * {@code [host[:port]/]path[:tag][@algorithm:hex]}, lowercase path components separated by
 * {@code /} and joined by {@code .}, {@code _}, {@code __} or dashes. Only the syntax: no
 * normalisation and no registry lookups (the engine's remotes do that). Stateless and thread-safe.
 */
public final class ImageReferences {
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?");
    private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}");
    private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final int MAX_NAME = 255;

    private ImageReferences() {
    }

    /** Why {@code ref} is not a valid reference, or empty if it is. */
    public static Optional<String> problem(String ref) {
        if (ref == null || ref.isEmpty()) {
            return Optional.of("an image reference is required (e.g. docker.io/library/busybox:1.36)");
        }
        if (!ref.strip().equals(ref)) {
            return Optional.of("must not contain leading or trailing spaces");
        }
        String rest = ref;
        int at = rest.indexOf('@');
        if (at >= 0) {
            String digest = rest.substring(at + 1);
            if (!DIGEST.matcher(digest).matches()
                    || (digest.startsWith("sha256:") && !SHA256.matcher(digest).matches())) {
                return Optional.of("digest \"" + digest + "\" is not algorithm:hex (sha256 needs 64 lowercase hex digits)");
            }
            rest = rest.substring(0, at);
        }
        int slash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > slash) {
            String tag = rest.substring(colon + 1);
            if (!TAG.matcher(tag).matches()) {
                return Optional.of("tag \"" + tag + "\" must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
            }
            rest = rest.substring(0, colon);
        }
        if (rest.isEmpty()) {
            return Optional.of("the repository name is missing");
        }
        if (rest.length() > MAX_NAME) {
            return Optional.of("the repository name is longer than " + MAX_NAME + " characters");
        }
        String[] parts = rest.split("/", -1);
        int first = 0;
        if (parts.length > 1 && looksLikeDomain(parts[0])) {
            if (!DOMAIN.matcher(parts[0]).matches()) {
                return Optional.of("registry host \"" + parts[0] + "\" is not a valid host[:port]");
            }
            first = 1;
        }
        for (int i = first; i < parts.length; i++) {
            String p = parts[i];
            if (!PATH_COMPONENT.matcher(p).matches()) {
                if (!p.equals(p.toLowerCase())) {
                    return Optional.of("repository name must be lowercase (\"" + p + "\")");
                }
                return Optional.of("path component \"" + p + "\" must be lowercase letters and digits separated by '.', '_', '__' or '-'");
            }
        }
        return Optional.empty();
    }

    /** Whether {@code ref} is a syntactically valid reference. */
    public static boolean isValid(String ref) {
        return problem(ref).isEmpty();
    }

    private static boolean looksLikeDomain(String first) {
        return first.contains(".") || first.contains(":") || first.equals("localhost")
                || !first.equals(first.toLowerCase());
    }
}
