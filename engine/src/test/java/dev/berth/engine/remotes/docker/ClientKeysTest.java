package dev.berth.engine.remotes.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.hosts.RegistryHost.ClientCertificate;
import dev.berth.engine.testing.TestPki;
import dev.berth.engine.testing.TestPki.Issued;
import dev.berth.engine.testing.TestPki.KeyFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCS12PBEParams;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientKeysTest {
    static TestPki pki;
    static Issued ec;
    static Issued rsa;

    @TempDir
    Path dir;

    @BeforeAll
    static void pki() {
        pki = TestPki.create("berth-test-ca");
        ec = pki.issueClient("ec-client", "EC");
        rsa = pki.issueClient("rsa-client", "RSA");
    }

    private static void assertLoads(Issued expected, ClientCertificate c) {
        KeyStore.PrivateKeyEntry e = ClientKeys.load(c);
        assertEquals(expected.certificate(), e.getCertificate());
        if (expected.keys().getPrivate() instanceof ECPrivateKey k) {
            assertEquals(k.getS(), ((ECPrivateKey) e.getPrivateKey()).getS());
        } else {
            RSAPrivateKey k = (RSAPrivateKey) expected.keys().getPrivate();
            assertEquals(k.getPrivateExponent(), ((RSAPrivateKey) e.getPrivateKey()).getPrivateExponent());
            assertEquals(k.getModulus(), ((RSAPrivateKey) e.getPrivateKey()).getModulus());
        }
    }

    private static BerthException invalid(ClientCertificate c) {
        BerthException e = assertThrows(BerthException.class, () -> ClientKeys.load(c));
        assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
        return e;
    }

    @Test
    void pkcs8AndTraditionalKeysInSeparateFiles() {
        Path cert = ec.writeCertificate(dir.resolve("ec.cert"));
        assertLoads(ec, new ClientCertificate(cert, ec.writeKey(dir.resolve("ec.pk8"), KeyFormat.PKCS8)));
        assertLoads(ec, new ClientCertificate(cert, ec.writeKey(dir.resolve("ec.sec1"), KeyFormat.TRADITIONAL)));
        Path rsaCert = rsa.writeCertificate(dir.resolve("rsa.cert"));
        assertLoads(rsa, new ClientCertificate(rsaCert, rsa.writeKey(dir.resolve("rsa.pk8"), KeyFormat.PKCS8)));
        assertLoads(rsa, new ClientCertificate(rsaCert, rsa.writeKey(dir.resolve("rsa.p1"), KeyFormat.TRADITIONAL)));
        assertTrue(TestPki.pem(rsa.key(KeyFormat.TRADITIONAL)).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertTrue(TestPki.pem(ec.key(KeyFormat.TRADITIONAL)).startsWith("-----BEGIN EC PRIVATE KEY-----"));
    }

    @Test
    void oneFileWithChainParametersAndKey() throws Exception {
        // as `openssl ecparam -genkey` writes it: an EC PARAMETERS block before the key
        Path pem = dir.resolve("client.pem");
        Files.writeString(pem, TestPki.pem(ec.certificate()) + TestPki.pem(pki.ca().certificate())
                + "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                + TestPki.pem(ec.key(KeyFormat.TRADITIONAL)));
        KeyStore.PrivateKeyEntry e = ClientKeys.load(new ClientCertificate(pem, pem));
        assertEquals(2, e.getCertificateChain().length);
        assertEquals(pki.ca().certificate(), e.getCertificateChain()[1]);
    }

    @Test
    void keyOfAnotherCertificateIsRefused() {
        Path cert = ec.writeCertificate(dir.resolve("ec.cert"));
        Issued other = pki.issueClient("other", "EC");
        Path key = other.writeKey(dir.resolve("other.key"), KeyFormat.PKCS8);
        BerthException e = invalid(new ClientCertificate(cert, key));
        assertTrue(e.getMessage().contains(key.toString()) && e.getMessage().contains(cert.toString())
                && e.getMessage().contains("does not belong"), e.getMessage());
        Path rsaKey = rsa.writeKey(dir.resolve("rsa.key"), KeyFormat.TRADITIONAL);
        assertTrue(invalid(new ClientCertificate(cert, rsaKey)).getMessage().contains("does not belong"));
    }

    @Test
    void missingAndWrongFilesAreNamed() throws Exception {
        Path missing = dir.resolve("nope.pem");
        BerthException e = invalid(new ClientCertificate(missing, missing));
        assertTrue(e.getMessage().contains(missing + ", named as a client certificate or key in hosts.toml: no such"),
                e.getMessage());

        Path keyOnly = ec.writeKey(dir.resolve("key-only.pem"), KeyFormat.PKCS8);
        e = invalid(new ClientCertificate(keyOnly, keyOnly));
        assertTrue(e.getMessage().contains(keyOnly + ", a client certificate named in hosts.toml, holds no PEM"
                + " CERTIFICATE"), e.getMessage());

        Path certOnly = ec.writeCertificate(dir.resolve("cert-only.pem"));
        e = invalid(new ClientCertificate(certOnly, certOnly));
        assertTrue(e.getMessage().contains("holds no PEM private key: append the key"), e.getMessage());
        e = invalid(new ClientCertificate(certOnly, ec.writeCertificate(dir.resolve("not-a-key.pem"))));
        assertTrue(e.getMessage().contains("not-a-key.pem, a client key named in hosts.toml, holds no PEM private key"),
                e.getMessage());

        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        e = invalid(new ClientCertificate(certOnly, garbage));
        assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());
    }

    @Test
    void encryptedKeyIsRefusedWithTheFix() throws Exception {
        Path cert = ec.writeCertificate(dir.resolve("ec.cert"));
        Path key = dir.resolve("enc.key");
        // the structure of an encrypted PKCS#8 key; the refusal must not depend on decrypting it
        byte[] salt = new byte[8];
        EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(new AlgorithmIdentifier(
                PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC, new PKCS12PBEParams(salt, 2048)),
                ec.keys().getPrivate().getEncoded());
        Files.writeString(key, TestPki.pem(new PemObject("ENCRYPTED PRIVATE KEY", info.getEncoded())));
        assertTrue(Files.readString(key).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        BerthException e = invalid(new ClientCertificate(cert, key));
        assertTrue(e.getMessage().contains(key + ", a client key named in hosts.toml, is encrypted")
                && e.getMessage().contains("openssl pkey"), e.getMessage());
    }

    @Test
    void keyManagerOffersEveryEntry() {
        ClientCertificate a = new ClientCertificate(ec.writeCertificate(dir.resolve("a.cert")),
                ec.writeKey(dir.resolve("a.key"), KeyFormat.PKCS8));
        ClientCertificate b = new ClientCertificate(rsa.writeCertificate(dir.resolve("b.cert")),
                rsa.writeKey(dir.resolve("b.key"), KeyFormat.TRADITIONAL));
        KeyManager[] km = ClientKeys.keyManagers(List.of(a, b));
        X509KeyManager x = (X509KeyManager) km[0];
        Principal[] issuers = {pki.ca().certificate().getSubjectX500Principal()};
        assertEquals(1, x.getClientAliases("EC", issuers).length);
        assertEquals(1, x.getClientAliases("RSA", issuers).length);
        String alias = x.chooseClientAlias(new String[] {"EC"}, issuers, null);
        assertEquals(ec.certificate(), x.getCertificateChain(alias)[0]);
    }
}
