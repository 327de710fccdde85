package dev.berth.engine.remotes;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Digest;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An image reference, normalised the way Docker and containerd's CRI do it: {@code busybox} is
 * {@code docker.io/library/busybox:latest}, {@code index.docker.io} is {@code docker.io}, and the first
 * path element is a registry host only when it is {@code localhost}, contains a {@code .} or a
 * {@code :}, or has upper case letters. A reference names a tag, a digest, or both (then the digest
 * decides what is fetched and the tag is kept for the image's name). Immutable.
 *
 * @param domain the registry host, with its port if any ({@code docker.io}, {@code localhost:5000})
 * @param path   the repository path inside the registry ({@code library/busybox})
 * @param tag    the tag, or null for a digest-only reference
 * @param digest the digest, or null
 */
public record Reference(String domain, String path, String tag, Digest digest) {
    public static final String DOCKER_DOMAIN = "docker.io";
    public static final String DEFAULT_TAG = "latest";
    private static final int NAME_MAX = 255;

    private static final String ALNUM = "[a-z0-9]+";
    private static final String SEPARATOR = "(?:[._]|__|[-]+)";
    private static final Pattern COMPONENT = Pattern.compile(ALNUM + "(?:" + SEPARATOR + ALNUM + ")*");
    private static final String LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:" + LABEL + "(?:\\." + LABEL + ")*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");

    public Reference {
        if (domain == null || path == null || (tag == null && digest == null)) {
            throw new IllegalArgumentException("a reference needs a domain, a path and a tag or digest");
        }
    }

    /**
     * Parses and normalises {@code s}. Fails with INVALID_ARGUMENT naming the part that is wrong and
     * the accepted form.
     */
    public static Reference parse(String s) {
        if (s == null || s.isBlank()) {
            throw BerthException.invalid("image reference is empty (expected e.g. docker.io/library/busybox:latest)");
        }
        String rest = s.trim();
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            String d = rest.substring(at + 1);
            try {
                digest = Digest.parse(d);
            } catch (BerthException e) {
                throw BerthException.invalid("image reference \"%s\": \"%s\" is not a valid digest"
                        + " (expected sha256:<64 lower-case hex>)", s, d);
            }
            rest = rest.substring(0, at);
        }
        String tag = null;
        int slash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > slash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw BerthException.invalid("image reference \"%s\": tag \"%s\" is invalid (up to 128 of"
                        + " [A-Za-z0-9_.-], not starting with . or -)", s, tag);
            }
        }
        String domain;
        String path;
        int first = rest.indexOf('/');
        String head = first < 0 ? null : rest.substring(0, first);
        if (head != null && (head.equals("localhost") || head.contains(".") || head.contains(":")
                || !head.equals(head.toLowerCase(Locale.ROOT)))) {
            domain = head;
            path = rest.substring(first + 1);
        } else {
            domain = DOCKER_DOMAIN;
            path = rest;
        }
        if (domain.equals("index.docker.io")) {
            domain = DOCKER_DOMAIN;
        }
        if (!DOMAIN.matcher(domain).matches()) {
            throw BerthException.invalid("image reference \"%s\": registry host \"%s\" is invalid"
                    + " (expected a host name or IP with an optional :port)", s, domain);
        }
        if (domain.equals(DOCKER_DOMAIN) && !path.contains("/")) {
            path = "library/" + path;
        }
        if (path.isEmpty()) {
            throw BerthException.invalid("image reference \"%s\" has no repository name", s);
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                String why = component.equals(component.toLowerCase(Locale.ROOT))
                        ? "may only contain a-z, 0-9 and single separators . _ __ -, starting and ending with a letter or digit"
                        : "must be lower case";
                throw BerthException.invalid("image reference \"%s\": repository name component \"%s\" %s",
                        s, component, why);
            }
        }
        if (domain.length() + 1 + path.length() > NAME_MAX) {
            throw BerthException.invalid("image reference \"%s\": repository name is longer than %d characters",
                    s, NAME_MAX);
        }
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
        return new Reference(domain, path, tag, digest);
    }

    /** The repository without tag or digest: {@code docker.io/library/busybox}. */
    public String name() {
        return domain + "/" + path;
    }

    /** What the registry is asked for: the digest when there is one, else the tag. */
    public String object() {
        return digest != null ? digest.toString() : tag;
    }

    /** This repository with another tag and no digest. */
    public Reference withTag(String newTag) {
        return new Reference(domain, path, newTag, null);
    }

    /** This repository with the digest (the tag is kept). */
    public Reference withDigest(Digest d) {
        return new Reference(domain, path, tag, d);
    }

    /** The short form Docker prints: {@code busybox:latest}, {@code user/app:1}. */
    public String familiar() {
        String n = name();
        if (domain.equals(DOCKER_DOMAIN)) {
            n = path.startsWith("library/") && path.indexOf('/', 8) < 0 ? path.substring(8) : path;
        }
        return n + suffix();
    }

    private String suffix() {
        return (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    /** The normalised full form: {@code docker.io/library/busybox:latest}. */
    @Override
    public String toString() {
        return name() + suffix();
    }
}
