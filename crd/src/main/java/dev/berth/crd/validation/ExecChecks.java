package dev.berth.crd.validation;

import dev.berth.crd.container.ContainerSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Rules for the strings of a Container that reach execve(2) and setuid(2): what the kernel would
 * refuse at start, refused at validation instead, with the field path (otherwise the container is
 * created and then fails to start, again and again, as a crash loop). Stateless.
 */
final class ExecChecks {
    /** The kernel's limit on one argument or environment string (MAX_ARG_STRLEN, 32 pages), NUL included. */
    static final int MAX_STRING_BYTES = 128 * 1024;
    /**
     * Bytes the spec's command, args and environment may take together: half of the 2 MiB the kernel
     * allows (a quarter of the default 8 MiB stack), leaving room for the image's own environment.
     */
    static final int MAX_TOTAL_BYTES = 1024 * 1024;
    /** The largest uid or gid; 2^32-1 is (uid_t) -1, which setuid and chown take to mean "unchanged". */
    static final long MAX_ID = 4_294_967_294L;

    private ExecChecks() {
    }

    static void process(ContainerSpec spec, Validator.Errors e) {
        long total = 0;
        total += strings("spec.command", spec.command(), e);
        total += strings("spec.args", spec.args(), e);
        if (spec.command() != null && !spec.command().isEmpty() && "".equals(spec.command().get(0))) {
            e.add("spec.command[0]", "must not be empty: it is the program to run");
        }
        if (spec.env() != null) {
            for (int i = 0; i < spec.env().size(); i++) {
                ContainerSpec.EnvVar v = spec.env().get(i);
                if (v != null && v.value() != null) {
                    total += string("spec.env[" + i + "].value", v.value(), e)
                            + (v.name() == null ? 0 : v.name().getBytes(StandardCharsets.UTF_8).length + 1);
                }
            }
        }
        if (total > MAX_TOTAL_BYTES) {
            e.add("spec", "command, args and env take " + total + " bytes together, more than the " + MAX_TOTAL_BYTES
                    + " a container may be started with (the kernel refuses an exec whose arguments and "
                    + "environment pass its limit); pass large data in a file or mount instead");
        }
        if (spec.user() != null) {
            String[] parts = spec.user().split(":", 2);
            for (String p : parts) {
                boolean numeric = !p.isEmpty() && p.chars().allMatch(Character::isDigit);
                if (numeric && (p.length() > 10 || Long.parseLong(p) > MAX_ID)) {
                    e.add("spec.user", p + " is past the largest uid/gid " + MAX_ID + " (2^32-2)");
                }
            }
        }
    }

    /** Checks each string of a list; the bytes they take in an exec. */
    private static long strings(String path, List<String> list, Validator.Errors e) {
        long total = 0;
        if (list != null) {
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) != null) {
                    total += string(path + "[" + i + "]", list.get(i), e);
                }
            }
        }
        return total;
    }

    private static long string(String path, String s, Validator.Errors e) {
        noNul(path, s, e);
        int bytes = s.getBytes(StandardCharsets.UTF_8).length + 1;
        if (bytes > MAX_STRING_BYTES) {
            e.add(path, "is " + (bytes - 1) + " bytes; one argument or environment value may hold at most "
                    + (MAX_STRING_BYTES - 1) + " (the kernel's limit)");
        }
        return bytes;
    }

    private static void noNul(String path, String s, Validator.Errors e) {
        if (s != null && s.indexOf('\0') >= 0) {
            e.add(path, "contains a NUL byte at character " + s.indexOf('\0') + ", which no program can receive "
                    + "(execve ends a string there)");
        }
    }
}
