package dev.berth.engine.images;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Platform parsing, normalisation and matching with containerd's rules ({@code containerd/platforms}):
 * {@code x86_64}/{@code x86-64} → {@code amd64} (variant {@code v1} dropped), {@code aarch64} →
 * {@code arm64} (variants {@code 8}, {@code v8}, {@code v8.0} → none: arm64 means v8),
 * {@code armhf} → arm/v7, {@code armel} → arm/v6, {@code arm} without variant → v7, {@code i386} →
 * {@code 386}, {@code macos} → {@code darwin}. Stateless and thread-safe.
 */
public final class Platforms {
    private static final Pattern PART = Pattern.compile("[a-z0-9_.-]+");

    private Platforms() {
    }

    /**
     * Parses {@code os[/arch[/variant]]} or a bare architecture ({@code arm64}, OS = linux), then
     * normalises. INVALID_ARGUMENT for anything else.
     */
    public static Platform parse(String s) {
        if (s == null || s.isBlank()) {
            throw BerthException.invalid("platform must not be empty; use os/arch[/variant], e.g. linux/amd64");
        }
        String[] parts = s.trim().toLowerCase(Locale.ROOT).split("/", -1);
        if (parts.length > 3) {
            throw BerthException.invalid("platform \"%s\" has too many parts; use os/arch[/variant], e.g. linux/arm64/v8", s);
        }
        for (String p : parts) {
            if (!PART.matcher(p).matches()) {
                throw BerthException.invalid("platform \"%s\" has an invalid part \"%s\"; use os/arch[/variant], e.g. linux/amd64", s, p);
            }
        }
        if (parts.length == 1) {
            String os = normalizeOs(parts[0]);
            if (isKnownOs(os)) {
                return normalize(Platform.of(os, host().architecture(), os.equals("linux") ? host().variant() : null));
            }
            if (!isKnownArch(parts[0])) {
                throw BerthException.invalid("platform \"%s\" is neither a known OS nor a known architecture", s);
            }
            return normalize(Platform.of("linux", parts[0], null));
        }
        return normalize(Platform.of(parts[0], parts[1], parts.length == 3 ? parts[2] : null));
    }

    /** Formats as {@code os/arch[/variant]}. */
    public static String format(Platform p) {
        return p.os() + "/" + p.architecture() + (isEmpty(p.variant()) ? "" : "/" + p.variant());
    }

    /** The normalised form of {@code p} (OS version and features kept). */
    public static Platform normalize(Platform p) {
        String os = normalizeOs(p.os());
        String arch = p.architecture() == null ? "" : p.architecture().toLowerCase(Locale.ROOT);
        String variant = p.variant() == null ? "" : p.variant().toLowerCase(Locale.ROOT);
        switch (arch) {
            case "i386" -> {
                arch = "386";
                variant = "";
            }
            case "x86_64", "x86-64", "amd64" -> {
                arch = "amd64";
                if (variant.equals("v1")) {
                    variant = "";
                }
            }
            case "aarch64", "arm64" -> {
                arch = "arm64";
                if (variant.equals("8") || variant.equals("v8") || variant.equals("v8.0")) {
                    variant = "";
                } else if (variant.equals("9") || variant.equals("9.0") || variant.equals("v9.0")) {
                    variant = "v9";
                }
            }
            case "armhf" -> {
                arch = "arm";
                variant = "v7";
            }
            case "armel" -> {
                arch = "arm";
                variant = "v6";
            }
            case "arm" -> {
                if (variant.isEmpty() || variant.equals("7")) {
                    variant = "v7";
                } else if (variant.equals("5") || variant.equals("6") || variant.equals("8")) {
                    variant = "v" + variant;
                }
            }
            default -> {
                // other architectures keep their variant as written
            }
        }
        return new Platform(arch, os, p.osVersion(), p.osFeatures(), variant.isEmpty() ? null : variant);
    }

    private static String normalizeOs(String os) {
        if (os == null) {
            return "";
        }
        String o = os.toLowerCase(Locale.ROOT);
        return o.equals("macos") ? "darwin" : o;
    }

    private static boolean isKnownOs(String os) {
        return List.of("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
                "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos").contains(os);
    }

    private static boolean isKnownArch(String arch) {
        return List.of("386", "i386", "amd64", "x86_64", "x86-64", "amd64p32", "arm", "armhf", "armel", "armbe",
                "arm64", "aarch64", "arm64be", "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32",
                "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64",
                "wasm").contains(arch);
    }

    private static volatile Platform host;

    /** The platform of this machine (normalised): OS, JVM architecture and, on arm, the CPU variant. */
    public static Platform host() {
        Platform h = host;
        if (h == null) {
            String arch = System.getProperty("os.arch", "amd64");
            String variant = null;
            if (arch.equals("arm")) {
                variant = armVariant();
            }
            h = normalize(Platform.of("linux", arch, variant));
            host = h;
        }
        return h;
    }

    private static String armVariant() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("CPU architecture")) {
                    String v = line.substring(line.indexOf(':') + 1).trim();
                    return v.startsWith("7") ? "v7" : v.startsWith("6") ? "v6" : v.startsWith("5") ? "v5" : "v7";
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall back to the common case
        }
        return "v7";
    }

    /**
     * containerd's {@code platforms.Only(p)}: {@code p} and the platforms it can run, best first
     * (amd64/vN → vN…v1 then 386; arm64/v8.x → v8.x…v8 then arm/v8…v5; arm64/v9.x → v9.x…v9 then
     * v8.(x+5)…v8; arm/vN → vN…v5).
     */
    public static PlatformMatcher only(Platform p) {
        return new VectorMatcher(compatible(normalize(p)), format(normalize(p)) + " (or compatible)");
    }

    /** The host platform and what it can run: the default for pulls and unpacks. */
    public static PlatformMatcher defaultMatcher() {
        return only(host());
    }

    /**
     * Exactly the listed platforms (normalised), in order of preference, as containerd's
     * {@code platforms.Ordered}.
     */
    public static PlatformMatcher ordered(List<Platform> ps) {
        List<Platform> n = ps.stream().map(Platforms::normalize).toList();
        return new VectorMatcher(n, String.join(", ", n.stream().map(Platforms::format).toList()));
    }

    /** Every platform, all equally preferred. */
    public static PlatformMatcher all() {
        return new PlatformMatcher() {
            @Override
            public boolean matches(Platform p) {
                return true;
            }

            @Override
            public int rank(Platform p) {
                return 0;
            }

            @Override
            public String describe() {
                return "any platform";
            }
        };
    }

    static List<Platform> compatible(Platform p) {
        List<Platform> out = new ArrayList<>();
        String os = p.os();
        String v = p.variant() == null ? "" : p.variant();
        switch (p.architecture()) {
            case "amd64" -> {
                int n = v.matches("v[1-4]") ? v.charAt(1) - '0' : 1;
                for (int i = n; i >= 1; i--) {
                    out.add(Platform.of(os, "amd64", i == 1 ? null : "v" + i));
                }
                out.add(Platform.of(os, "386", null));
            }
            case "arm64" -> {
                if (v.matches("v9(\\.\\d+)?")) {
                    int minor = v.length() > 3 ? Integer.parseInt(v.substring(3)) : 0;
                    for (int i = minor; i >= 1; i--) {
                        out.add(Platform.of(os, "arm64", "v9." + i));
                    }
                    out.add(Platform.of(os, "arm64", "v9"));
                    addArm64V8(out, os, minor + 5);
                } else if (v.matches("v8\\.\\d+")) {
                    addArm64V8(out, os, Integer.parseInt(v.substring(3)));
                } else if (v.isEmpty()) {
                    addArm64V8(out, os, 0);
                } else {
                    out.add(p);
                }
            }
            case "arm" -> {
                int n = v.matches("v[5-8]") ? v.charAt(1) - '0' : 0;
                if (n == 0) {
                    out.add(p);
                }
                for (int i = n; i >= 5; i--) {
                    out.add(Platform.of(os, "arm", "v" + i));
                }
            }
            default -> out.add(p);
        }
        return out;
    }

    private static void addArm64V8(List<Platform> out, String os, int minor) {
        for (int i = minor; i >= 1; i--) {
            out.add(Platform.of(os, "arm64", "v8." + i));
        }
        out.add(Platform.of(os, "arm64", null));
        for (int i = 8; i >= 5; i--) {
            out.add(Platform.of(os, "arm", "v" + i));
        }
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }

    private record VectorMatcher(List<Platform> vector, String describe) implements PlatformMatcher {
        @Override
        public boolean matches(Platform p) {
            return rank(p) != Integer.MAX_VALUE;
        }

        @Override
        public int rank(Platform p) {
            if (p == null) {
                return Integer.MAX_VALUE;
            }
            Platform n = normalize(p);
            for (int i = 0; i < vector.size(); i++) {
                Platform w = vector.get(i);
                if (w.os().equals(n.os()) && w.architecture().equals(n.architecture())
                        && java.util.Objects.equals(w.variant(), n.variant())) {
                    return i;
                }
            }
            return Integer.MAX_VALUE;
        }
    }
}
