package dev.berth.engine.remotes.docker;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.hosts.RegistryHost.ClientCertificate;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Turns hosts.toml {@code client} entries into the key material of a TLS client, reading PEM as Go's
 * {@code tls.X509KeyPair} does for containerd: every {@code CERTIFICATE} block of the certificate
 * file is the chain (leaf first); the first private key of the key file is the key, as PKCS#8
 * ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}); other
 * blocks such as {@code EC PARAMETERS} are skipped. Encrypted keys and a key that does not belong to
 * the certificate are refused with INVALID_ARGUMENT naming the file. Stateless and thread-safe; the
 * files are read on every call.
 */
final class ClientKeys {
    private static final char[] NO_PASSWORD = new char[0];

    private ClientKeys() {
    }

    /** Key managers offering every entry; the TLS stack picks one the server's CA list accepts. */
    static KeyManager[] keyManagers(List<ClientCertificate> clients) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (ClientCertificate c : clients) {
                KeyStore.PrivateKeyEntry e = load(c);
                ks.setKeyEntry("client-" + i++, e.getPrivateKey(), NO_PASSWORD, e.getCertificateChain());
            }
            // PKIX (not SunX509) prefers, among several entries, a certificate valid now and meant for clients
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(ks, NO_PASSWORD);
            return kmf.getKeyManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw BerthException.internal("cannot set up the client certificates named in hosts.toml: "
                    + e.getMessage(), e);
        }
    }

    /** The private key and certificate chain of one entry, checked to belong together. */
    static KeyStore.PrivateKeyEntry load(ClientCertificate c) {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter certs = new JcaX509CertificateConverter();
        for (Object o : read(c.certificate())) {
            if (o instanceof X509CertificateHolder h) {
                try {
                    chain.add(certs.getCertificate(h));
                } catch (GeneralSecurityException e) {
                    throw BerthException.invalid("%s, a client certificate named in hosts.toml, holds a certificate"
                            + " Java cannot use: %s", c.certificate(), e.getMessage());
                }
            }
        }
        if (chain.isEmpty()) {
            throw BerthException.invalid("%s, a client certificate named in hosts.toml, holds no PEM CERTIFICATE"
                    + " block: give the client certificate there (leaf first, then any intermediates)",
                    c.certificate());
        }
        PrivateKey key = privateKey(c);
        if (!belongTogether(key, chain.get(0).getPublicKey())) {
            throw BerthException.invalid("the private key in %s does not belong to the client certificate in %s"
                    + " (%s), both named in hosts.toml: pair the certificate with the key it was issued for",
                    c.key(), c.certificate(), chain.get(0).getSubjectX500Principal().getName());
        }
        return new KeyStore.PrivateKeyEntry(key, chain.toArray(new X509Certificate[0]));
    }

    private static PrivateKey privateKey(ClientCertificate c) {
        Path file = c.key();
        JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
        for (Object o : read(file)) {
            try {
                if (o instanceof PrivateKeyInfo pk) {
                    return keys.getPrivateKey(pk);
                }
                if (o instanceof PEMKeyPair kp) {
                    // only the private part: SEC1 keys may leave out the public key
                    return keys.getPrivateKey(kp.getPrivateKeyInfo());
                }
            } catch (IOException e) {
                throw BerthException.invalid("%s, a client key named in hosts.toml, holds a private key Java cannot"
                        + " use (%s); write it as unencrypted PKCS#8: openssl pkcs8 -topk8 -nocrypt -in %s -out"
                        + " key.pk8.pem", file, e.getMessage(), file);
            }
            if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                throw BerthException.invalid("%s, a client key named in hosts.toml, is encrypted; like containerd,"
                        + " Berth needs it unencrypted: openssl pkey -in %s -out client.key (and keep that file"
                        + " readable by root only)", file, file);
            }
        }
        if (file.equals(c.certificate())) {
            throw BerthException.invalid("%s, named alone as a client certificate in hosts.toml, holds no PEM private"
                    + " key: append the key to it, or give a pair [\"%s\", \"<key file>\"]", file,
                    file.getFileName());
        }
        throw BerthException.invalid("%s, a client key named in hosts.toml, holds no PEM private key (PRIVATE KEY,"
                + " RSA PRIVATE KEY or EC PRIVATE KEY)", file);
    }

    private static List<Object> read(Path file) {
        List<Object> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser p = new PEMParser(r)) {
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                out.add(o);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BerthException(ErrorCategory.INVALID_ARGUMENT, "cannot read " + file
                    + ", named as a client certificate or key in hosts.toml: no such file", e);
        } catch (IOException | RuntimeException e) {
            throw new BerthException(ErrorCategory.INVALID_ARGUMENT, "cannot read " + file
                    + ", named as a client certificate or key in hosts.toml: " + e.getMessage(), e);
        }
        return out;
    }

    /** Signs a random message with the key and checks it with the certificate's public key. */
    private static boolean belongTogether(PrivateKey key, PublicKey pub) {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
        if (alg == null) {
            // an algorithm without a known signature to probe with: the handshake will tell
            return true;
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(pub);
            s.update(probe);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
