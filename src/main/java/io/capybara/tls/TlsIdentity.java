package io.capybara.tls;

import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.SignatureScheme;

/**
 * The server's certificate chain and private key, and the TLS 1.3 signature scheme its key
 * signs the handshake with: ECDSA P-256/P-384 or RSA-PSS. Either generated at start (a
 * self-signed ECDSA P-256 certificate: cheapest to sign with) or read from PEM files.
 */
public final class TlsIdentity {
    private final List<X509Certificate> chain;
    private final PrivateKey key;
    private final SignatureAndHashAlgorithm scheme;

    private TlsIdentity(List<X509Certificate> chain, PrivateKey key) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no certificate in the chain");
        }
        this.chain = List.copyOf(chain);
        this.key = key;
        this.scheme = schemeFor(key);
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public PrivateKey key() {
        return key;
    }

    SignatureAndHashAlgorithm scheme() {
        return scheme;
    }

    private static SignatureAndHashAlgorithm schemeFor(PrivateKey key) {
        if (key instanceof ECPrivateKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return switch (bits) {
                case 256 -> SignatureScheme.getSignatureAndHashAlgorithm(SignatureScheme.ecdsa_secp256r1_sha256);
                case 384 -> SignatureScheme.getSignatureAndHashAlgorithm(SignatureScheme.ecdsa_secp384r1_sha384);
                case 521 -> SignatureScheme.getSignatureAndHashAlgorithm(SignatureScheme.ecdsa_secp521r1_sha512);
                default -> throw new IllegalArgumentException("EC key on a " + bits + "-bit curve: TLS 1.3 signs with "
                        + "P-256, P-384 or P-521 only");
            };
        }
        if (key instanceof RSAPrivateKey) {
            return SignatureAndHashAlgorithm.rsa_pss_rsae_sha256;
        }
        throw new IllegalArgumentException("unsupported private key type " + key.getAlgorithm()
                + " (use an EC P-256/P-384 or RSA key)");
    }

    /**
     * A self-signed ECDSA P-256 certificate for {@code commonName} (also its DNS name), valid
     * from a day before {@code now} for a year. {@code now} and {@code random} are inputs: the
     * caller reads the clock.
     */
    public static TlsIdentity selfSigned(String commonName, Instant now, SecureRandom random) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair kp = g.generateKeyPair();
            X500Name name = new X500Name("CN=" + commonName);
            byte[] serial = new byte[16];
            random.nextBytes(serial);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(1, serial),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), name,
                    kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, commonName)));
            X509CertificateHolder h = b.build(new JcaContentSignerBuilder("SHA256withECDSA").setSecureRandom(random)
                    .build(kp.getPrivate()));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(h);
            return new TlsIdentity(List.of(cert), kp.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot generate a self-signed certificate", e);
        }
    }

    /** Writes the chain and the key (PKCS#8, unencrypted, owner-readable only) as PEM files. */
    public void writePem(Path certFile, Path keyFile) throws IOException {
        try (java.io.Writer w = Files.newBufferedWriter(certFile, StandardCharsets.US_ASCII);
             org.bouncycastle.openssl.jcajce.JcaPEMWriter p = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(w)) {
            for (X509Certificate c : chain) {
                p.writeObject(c);
            }
        }
        Files.deleteIfExists(keyFile);
        Files.createFile(keyFile, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try (java.io.Writer w = Files.newBufferedWriter(keyFile, StandardCharsets.US_ASCII);
             org.bouncycastle.openssl.jcajce.JcaPEMWriter p = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(w)) {
            p.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        }
    }

    /**
     * Reads a certificate chain (one or more CERTIFICATE blocks, leaf first) and a private key
     * (PKCS#8 PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY, unencrypted) from PEM files.
     *
     * @throws IllegalArgumentException with a one-line reason if a file holds no usable item
     */
    public static TlsIdentity fromPem(Path certFile, Path keyFile) throws IOException {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
        try (Reader r = Files.newBufferedReader(certFile, StandardCharsets.US_ASCII);
             PEMParser p = new PEMParser(r)) {
            for (Object o; (o = p.readObject()) != null; ) {
                if (o instanceof X509CertificateHolder h) {
                    chain.add(conv.getCertificate(h));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(certFile + ": unreadable certificate: " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException(certFile + ": no PEM CERTIFICATE block");
        }
        PrivateKey key = null;
        JcaPEMKeyConverter kc = new JcaPEMKeyConverter();
        try (Reader r = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII);
             PEMParser p = new PEMParser(r)) {
            for (Object o; key == null && (o = p.readObject()) != null; ) {
                if (o instanceof PEMKeyPair kp) {
                    key = kc.getPrivateKey(kp.getPrivateKeyInfo());
                } else if (o instanceof PrivateKeyInfo info) {
                    key = kc.getPrivateKey(info);
                }
            }
        }
        if (key == null) {
            throw new IllegalArgumentException(keyFile + ": no unencrypted PEM private key (PRIVATE KEY, "
                    + "EC PRIVATE KEY or RSA PRIVATE KEY)");
        }
        return new TlsIdentity(chain, key);
    }
}
