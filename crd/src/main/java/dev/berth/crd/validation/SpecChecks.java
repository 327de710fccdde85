package dev.berth.crd.validation;

import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.snapshot.SnapshotSpec;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/** Spec rules for Image and Snapshot, and helpers the other kinds' checks share. Stateless. */
final class SpecChecks {
    private static final Pattern PLATFORM = Pattern.compile("[a-z0-9_]+/[a-z0-9_]+(/[a-z0-9_.]+)?");
    private static final Pattern SNAPSHOTTER = Pattern.compile("[a-z0-9][a-z0-9_-]*");

    private SpecChecks() {
    }

    static void image(ImageSpec spec, Validator.Errors e) {
        if (spec == null) {
            e.add("spec", "required (with at least spec.ref)");
            return;
        }
        e.check("spec.ref", ImageReferences.problem(spec.ref())
                .map(p -> spec.ref() == null || spec.ref().isEmpty() ? p
                        : "\"" + spec.ref() + "\" is not a valid image reference: " + p));
        if (spec.platform() != null && !PLATFORM.matcher(spec.platform()).matches()) {
            e.add("spec.platform", "\"" + spec.platform() + "\" is not os/arch[/variant] (e.g. linux/amd64, linux/arm64/v8)");
        }
        if (spec.credentials() != null) {
            var c = spec.credentials();
            if ((c.secretName() == null) == (c.file() == null)) {
                e.add("spec.credentials", "set exactly one of secretName and file");
            }
            if (c.secretName() != null) {
                e.check("spec.credentials.secretName", Names.dns1123Subdomain(c.secretName()));
            }
            if (c.file() != null) {
                e.check("spec.credentials.file", absolutePath(c.file()));
            }
        }
        if (spec.unpack() != null && spec.unpack().snapshotter() != null
                && !SNAPSHOTTER.matcher(spec.unpack().snapshotter()).matches()) {
            e.add("spec.unpack.snapshotter", "\"" + spec.unpack().snapshotter() + "\" is not a snapshotter name (e.g. overlay, native)");
        }
        if (spec.updateInterval() != null) {
            updateInterval(spec, e);
        }
        nodeName(spec.nodeName(), e);
    }

    /** Flux's interval format; only meaningful for an image whose tag is re-checked. */
    private static void updateInterval(ImageSpec spec, Validator.Errors e) {
        try {
            java.time.Duration d = dev.berth.crd.image.GoDurations.parse(spec.updateInterval());
            if (d.compareTo(java.time.Duration.ofSeconds(1)) < 0) {
                e.add("spec.updateInterval", "\"" + spec.updateInterval() + "\" is shorter than 1s; check the registry"
                        + " at most once a second (e.g. 30s, 5m)");
            }
        } catch (IllegalArgumentException x) {
            e.add("spec.updateInterval", x.getMessage());
        }
        if (spec.pullPolicy() != dev.berth.crd.image.PullPolicy.Always) {
            e.add("spec.updateInterval", "only an image with pullPolicy: Always is checked for updates; set"
                    + " spec.pullPolicy: Always or remove spec.updateInterval");
        }
    }

    static void snapshot(SnapshotSpec spec, Validator.Errors e) {
        if (spec == null) {
            e.add("spec", "required (with spec.image or spec.parent)");
            return;
        }
        if ((spec.image() == null) == (spec.parent() == null)) {
            e.add("spec", "set exactly one of spec.image (an Image object) and spec.parent (a Snapshot object)");
        }
        if (spec.image() != null) {
            e.check("spec.image", objectName(spec.image(), "Image"));
        }
        if (spec.parent() != null) {
            e.check("spec.parent", objectName(spec.parent(), "Snapshot"));
        }
        if (spec.mountPath() != null) {
            e.check("spec.mountPath", absolutePath(spec.mountPath()));
            if ("/".equals(spec.mountPath())) {
                e.add("spec.mountPath", "must not be /");
            }
        }
        nodeName(spec.nodeName(), e);
    }

    static void nodeName(String nodeName, Validator.Errors e) {
        if (nodeName != null) {
            e.check("spec.nodeName", Names.dns1123Subdomain(nodeName));
        }
    }

    /** A reference to another object by name; hints when an image reference was given instead. */
    static Optional<String> objectName(String name, String kind) {
        Optional<String> p = Names.dns1123Subdomain(name);
        if (p.isPresent() && "Image".equals(kind) && (name.contains(":") || name.contains("/"))) {
            return Optional.of("\"" + name + "\" looks like an image reference; this field names an Image object"
                    + " in the same namespace (create an Image with spec.ref: " + name + " and use its metadata.name)");
        }
        String article = "AEIOU".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ";
        return p.map(m -> "must name " + article + kind + " object: " + m);
    }

    /** Absolute, normalised path (no "." or ".." components, no "//"). */
    static Optional<String> absolutePath(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return Optional.of("\"" + path + "\" must be an absolute path");
        }
        if (path.indexOf('\0') >= 0) {
            return Optional.of("must not contain NUL");
        }
        String normal = Path.of(path).normalize().toString();
        if (!normal.equals(path) && !(normal + "/").equals(path)) {
            return Optional.of("\"" + path + "\" is not a clean path (write " + normal + ")");
        }
        return Optional.empty();
    }
}
