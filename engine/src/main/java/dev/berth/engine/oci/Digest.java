package dev.berth.engine.oci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.sys.NativeDigest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:3f2a…}: the identity of every blob. Only sha256 (64 hex) and
 * sha512 (128 hex) are accepted, lower case, as the OCI image spec registers them. Immutable.
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {
    private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern SHA512 = Pattern.compile("[a-f0-9]{128}");

    public Digest {
        boolean ok = switch (algorithm) {
            case "sha256" -> SHA256.matcher(hex).matches();
            case "sha512" -> SHA512.matcher(hex).matches();
            default -> false;
        };
        if (!ok) {
            throw BerthException.invalid("\"%s:%s\" is not a valid digest (expected sha256:<64 lower-case hex>)",
                    algorithm, hex);
        }
    }

    /** Parses {@code alg:hex}; throws INVALID_ARGUMENT naming the accepted form. */
    @JsonCreator
    public static Digest parse(String s) {
        int i = s == null ? -1 : s.indexOf(':');
        if (i <= 0) {
            throw BerthException.invalid("\"%s\" is not a valid digest (expected sha256:<64 lower-case hex>)", s);
        }
        return new Digest(s.substring(0, i), s.substring(i + 1));
    }

    /** The sha256 digest of {@code data}. */
    public static Digest sha256(byte[] data) {
        return new Digest("sha256", HexFormat.of().formatHex(newSha256().digest(data)));
    }

    /** The sha256 digest of a UTF-8 string. */
    public static Digest sha256(String data) {
        return sha256(data.getBytes(StandardCharsets.UTF_8));
    }

    /** Wraps a finished {@link MessageDigest} of the given algorithm. */
    public static Digest of(String algorithm, byte[] digest) {
        return new Digest(algorithm, HexFormat.of().formatHex(digest));
    }

    /** A fresh sha256 hasher (libcrypto's where it loads, {@link NativeDigest}). */
    public static MessageDigest newSha256() {
        return NativeDigest.sha256();
    }

    /** A fresh hasher for this digest's algorithm. */
    public MessageDigest newHasher() {
        return algorithm.equals("sha512") ? NativeDigest.sha512() : NativeDigest.sha256();
    }

    /** First 12 hex characters, as short ids are shown. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    @JsonValue
    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }

    @Override
    public int compareTo(Digest o) {
        return toString().compareTo(o.toString());
    }
}
