package dev.berth.engine.sys;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Pinned;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 and SHA-512 computed by the system's libcrypto (OpenSSL 3's EVP digests, which use the
 * CPU's SHA extensions), as {@link MessageDigest}s. The daemon runs its Java code compiled by C1
 * only (no C2: its warm-up and compiler threads cost more than C2's code gains for a daemon that
 * mostly waits on processes, docs/grpc.md), and C1 has no intrinsic for the JDK's SHA-2: there the
 * JDK's digest runs as plain Java, about 12 times slower, while every byte pulled, imported or
 * unpacked is hashed. Through libcrypto the speed no longer depends on the JIT. When libcrypto
 * cannot be loaded, {@link #sha256()} and {@link #sha512()} return the JDK's digests.
 *
 * <p>An instance owns one native {@code EVP_MD_CTX}, freed by a {@link Cleaner} once the instance is
 * unreachable. Like every MessageDigest, an instance is not thread-safe.
 */
public final class NativeDigest extends MessageDigest {
    private static final Logger LOG = LoggerFactory.getLogger(NativeDigest.class);
    private static final Cleaner CLEANER = Cleaner.create();
    /** Debian 12's OpenSSL 3 (package libssl3); the unversioned name exists only with libssl-dev. */
    static final String LIBRARY = "libcrypto.so.3";

    /** The libcrypto calls used (jnr-ffi binding). */
    public interface Crypto {
        Pointer EVP_MD_CTX_new();

        void EVP_MD_CTX_free(Pointer ctx);

        Pointer EVP_sha256();

        Pointer EVP_sha512();

        int EVP_DigestInit_ex(Pointer ctx, Pointer type, Pointer engine);

        /** A heap buffer is passed pinned (no copy), from its position, {@code n} bytes. */
        int EVP_DigestUpdate(Pointer ctx, @In @Pinned ByteBuffer data, @size_t long n);

        int EVP_DigestFinal_ex(Pointer ctx, @Out byte[] md, Pointer size);

        int EVP_MD_CTX_copy_ex(Pointer out, Pointer in);
    }

    /** The loaded library with its two digest types (static tables in libcrypto, looked up once). */
    record Loaded(Crypto c, Pointer sha256, Pointer sha512) {
    }

    private static final class Lib {
        static final Optional<Loaded> C = load(LIBRARY);
    }

    static Optional<Loaded> load(String library) {
        try {
            Crypto c = LibraryLoader.create(Crypto.class).failImmediately().load(library);
            Pointer sha256 = c.EVP_sha256();
            Pointer sha512 = c.EVP_sha512();
            if (sha256 == null || sha512 == null) {
                throw new UnsatisfiedLinkError("EVP_sha256 or EVP_sha512 returned NULL");
            }
            return Optional.of(new Loaded(c, sha256, sha512));
        } catch (LinkageError | RuntimeException e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            LOG.warn("{} cannot be loaded ({}): hashing with the JDK's digests, which are slow without C2", library, why);
            return Optional.empty();
        }
    }

    /** A fresh SHA-256 digest: libcrypto's, or the JDK's when libcrypto is missing. */
    public static MessageDigest sha256() {
        return create("SHA-256", Lib.C);
    }

    /** A fresh SHA-512 digest: libcrypto's, or the JDK's when libcrypto is missing. */
    public static MessageDigest sha512() {
        return create("SHA-512", Lib.C);
    }

    /** Whether digests come from libcrypto on this machine. */
    public static boolean available() {
        return Lib.C.isPresent();
    }

    static MessageDigest create(String algorithm, Optional<Loaded> crypto) {
        if (crypto.isEmpty()) {
            try {
                return MessageDigest.getInstance(algorithm);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no " + algorithm, e);
            }
        }
        Crypto c = crypto.get().c();
        boolean sha512 = algorithm.equals("SHA-512");
        Pointer type = sha512 ? crypto.get().sha512() : crypto.get().sha256();
        NativeDigest d = new NativeDigest(algorithm, sha512 ? 64 : 32, c, type, newContext(c));
        d.init();
        return d;
    }

    private final int length;
    private final Crypto c;
    private final Pointer type;
    private final Pointer ctx;

    private NativeDigest(String algorithm, int length, Crypto c, Pointer type, Pointer ctx) {
        super(algorithm);
        this.length = length;
        this.c = c;
        this.type = type;
        this.ctx = ctx;
        CLEANER.register(this, () -> c.EVP_MD_CTX_free(ctx));
    }

    private static Pointer newContext(Crypto c) {
        Pointer ctx = c.EVP_MD_CTX_new();
        if (ctx == null) {
            throw new OutOfMemoryError("EVP_MD_CTX_new returned NULL");
        }
        return ctx;
    }

    private void init() {
        check(c.EVP_DigestInit_ex(ctx, type, null), "EVP_DigestInit_ex");
    }

    private static void check(int ok, String call) {
        if (ok != 1) {
            throw new IllegalStateException("libcrypto " + call + " failed");
        }
    }

    @Override
    protected int engineGetDigestLength() {
        return length;
    }

    @Override
    protected void engineUpdate(byte input) {
        engineUpdate(new byte[] {input}, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int len) {
        if (len > 0) {
            check(c.EVP_DigestUpdate(ctx, ByteBuffer.wrap(input, offset, len), len), "EVP_DigestUpdate");
        }
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        int n = input.remaining();
        if (n == 0) {
            return;
        }
        if (input.isDirect() || input.hasArray()) {
            check(c.EVP_DigestUpdate(ctx, input, n), "EVP_DigestUpdate");
            input.position(input.limit());
        } else {
            super.engineUpdate(input); // a read-only heap buffer: copied through engineUpdate(byte[], …)
        }
    }

    @Override
    protected byte[] engineDigest() {
        byte[] out = new byte[length];
        check(c.EVP_DigestFinal_ex(ctx, out, null), "EVP_DigestFinal_ex");
        init();
        return out;
    }

    @Override
    protected void engineReset() {
        init();
    }

    /** An independent copy of the state so far, as {@link MessageDigest#clone} promises. */
    @Override
    public Object clone() {
        NativeDigest copy = new NativeDigest(getAlgorithm(), length, c, type, newContext(c));
        check(c.EVP_MD_CTX_copy_ex(copy.ctx, ctx), "EVP_MD_CTX_copy_ex");
        return copy;
    }
}
