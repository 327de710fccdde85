package dev.berth.engine.testing;

import jnr.ffi.LibraryLoader;

/**
 * bcrypt lines for an htpasswd file (the only hash docker-registry accepts), computed by the
 * system's libcrypt ({@code crypt_gensalt}/{@code crypt}, libxcrypt on Debian) so that no
 * apache2-utils is needed. Thread-safe.
 */
public final class Htpasswd {
    /** The libcrypt calls used. */
    public interface LibCrypt {
        String crypt_gensalt(String prefix, long count, String rbytes, int nrbytes);

        String crypt(String phrase, String setting);
    }

    private static volatile LibCrypt lib;

    private Htpasswd() {
    }

    private static synchronized LibCrypt lib() {
        if (lib == null) {
            lib = LibraryLoader.create(LibCrypt.class).load("crypt");
        }
        return lib;
    }

    /** {@code user:$2b$…} for an htpasswd file. */
    public static synchronized String line(String user, String password) {
        String salt = lib().crypt_gensalt("$2b$", 5, null, 0);
        if (salt == null) {
            throw new IllegalStateException("libcrypt has no bcrypt ($2b$) support");
        }
        String hash = lib().crypt(password, salt);
        if (hash == null || !hash.startsWith("$2b$")) {
            throw new IllegalStateException("libcrypt failed to hash with bcrypt: " + hash);
        }
        return user + ":" + hash;
    }
}
