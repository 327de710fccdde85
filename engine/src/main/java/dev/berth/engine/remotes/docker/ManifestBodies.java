package dev.berth.engine.remotes.docker;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.MediaTypes;
import dev.berth.engine.oci.OciJson;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Checks manifest and index bodies from a registry: the media type (from the body's
 * {@code mediaType}, the Content-Type, or the shape of the JSON), Docker schema 1 refused, JSON that
 * does not parse and manifests that claim to be indexes (or the reverse) rejected. Stateless.
 */
public final class ManifestBodies {
    /** The Accept list containerd sends when resolving. */
    public static final String RESOLVE_ACCEPT = String.join(", ", List.of(MediaTypes.DOCKER_MANIFEST,
            MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, "*/*"));

    private ManifestBodies() {
    }

    /** Content-Type without parameters, or null. */
    static String baseType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    }

    /** Fails with NOT_IMPLEMENTED for Docker schema 1 content types. */
    static void refuseSchema1(String type, String what) {
        if (type != null && (type.equals("text/plain") || type.startsWith("application/vnd.docker.distribution.manifest.v1"))) {
            throw new BerthException(ErrorCategory.NOT_IMPLEMENTED, what + " is a Docker schema 1 manifest ("
                    + type + "), which Berth does not pull (as containerd 2.x); push the image again with a current"
                    + " Docker or buildkit to get schema 2 or OCI");
        }
    }

    /**
     * The media type of {@code body}; {@code declared} (Content-Type or descriptor) is used when the
     * body names none. Fails for malformed JSON, schema 1 and unknown types, naming {@code what}.
     */
    public static String mediaType(byte[] body, String declared, String what) {
        JsonNode n;
        try {
            n = OciJson.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw BerthException.invalid("%s is not valid JSON: %s", what, e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw BerthException.invalid("%s is not a JSON object", what);
        }
        if (n.has("fsLayers") || n.path("schemaVersion").asInt(0) == 1) {
            refuseSchema1(MediaTypes.DOCKER_MANIFEST_V1_SIGNED, what);
        }
        String inBody = n.path("mediaType").asString("");
        String type = !inBody.isEmpty() ? inBody : baseType(declared);
        if (type == null || !(MediaTypes.isManifest(type) || MediaTypes.isIndex(type))) {
            if (inBody.isEmpty() && n.has("manifests")) {
                type = MediaTypes.OCI_INDEX;
            } else if (inBody.isEmpty() && n.has("config") && n.has("layers")) {
                type = MediaTypes.OCI_MANIFEST;
            } else {
                refuseSchema1(type, what);
                throw new BerthException(ErrorCategory.NOT_IMPLEMENTED, what + " has media type \"" + type
                        + "\", which is neither an image manifest nor an index (supported: "
                        + String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST,
                        MediaTypes.DOCKER_MANIFEST_LIST) + ")");
            }
        }
        if (MediaTypes.isManifest(type) && n.has("manifests")) {
            throw BerthException.invalid("%s claims to be a manifest (%s) but has \"manifests\" like an index", what, type);
        }
        if (MediaTypes.isIndex(type) && (n.has("layers") || n.has("config"))) {
            throw BerthException.invalid("%s claims to be an index (%s) but has \"config\"/\"layers\" like a manifest",
                    what, type);
        }
        return type;
    }
}
