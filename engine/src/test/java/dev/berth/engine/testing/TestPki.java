package dev.berth.engine.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/**
 * A tiny certificate authority for tests: a self-signed CA and client certificates it issues, with
 * their keys written as PEM in the three forms containerd reads (PKCS#8, PKCS#1 for RSA, SEC1 for
 * EC). Certificates are valid from an hour ago for two days. Not thread-safe.
 */
public final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

    /** How a private key is written. */
    public enum KeyFormat {
        /** {@code PRIVATE KEY}. */
        PKCS8,
        /** {@code RSA PRIVATE KEY} or {@code EC PRIVATE KEY}, as the key's algorithm has it. */
        TRADITIONAL
    }

    /** A certificate and its key pair. */
    public record Issued(X509Certificate certificate, KeyPair keys) {
        /** Writes the certificate as PEM. */
        public Path writeCertificate(Path file) {
            return write(file, certificate);
        }

        /** Writes the private key as PEM in {@code format}. */
        public Path writeKey(Path file, KeyFormat format) {
            return write(file, key(format));
        }

        /** The private key as a PEM object in {@code format}, for {@link #pem}. */
        public PemObjectGenerator key(KeyFormat format) {
            try {
                if (format == KeyFormat.PKCS8) {
                    return new JcaPKCS8Generator(keys.getPrivate(), null);
                }
                if (!keys.getPrivate().getAlgorithm().equals("EC")) {
                    return new JcaMiscPEMGenerator(keys.getPrivate());
                }
                // SEC1 as openssl writes it, with the curve and the public key (the JDK's PKCS#8 inner
                // structure leaves both out)
                PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
                ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
                ASN1BitString pub = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getPublicKeyData();
                ECPrivateKey full = new ECPrivateKey(256, inner.getKey(), pub,
                        info.getPrivateKeyAlgorithm().getParameters());
                return new PemObject("EC PRIVATE KEY", full.getEncoded());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final Issued ca;

    private TestPki(Issued ca) {
        this.ca = ca;
    }

    /** A new CA with an EC P-256 key named {@code CN=<name>}. */
    public static TestPki create(String name) {
        KeyPair kp = keyPair("EC");
        X500Name n = new X500Name("CN=" + name);
        return new TestPki(new Issued(sign(n, kp, n, kp, true), kp));
    }

    public Issued ca() {
        return ca;
    }

    /** A client certificate ({@code extendedKeyUsage=clientAuth}) with a new {@code algorithm} key (EC or RSA). */
    public Issued issueClient(String name, String algorithm) {
        KeyPair kp = keyPair(algorithm);
        X500Name caName = new X500Name(ca.certificate().getSubjectX500Principal().getName());
        return new Issued(sign(caName, ca.keys(), new X500Name("CN=" + name), kp, false), kp);
    }

    private static KeyPair keyPair(String algorithm) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            g.initialize(algorithm.equals("RSA") ? 2048 : 256);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X500Name issuer, KeyPair issuerKeys, X500Name subject, KeyPair subjectKeys,
                                        boolean isCa) {
        try {
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                    BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(2))), subject, subjectKeys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            if (isCa) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature
                        | KeyUsage.keyEncipherment));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            }
            String alg = issuerKeys.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(alg).build(issuerKeys.getPrivate())));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM text of a certificate, key or generator, as {@link JcaPEMWriter} writes it. */
    public static String pem(Object o) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static Path write(Path file, Object o) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, pem(o));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
