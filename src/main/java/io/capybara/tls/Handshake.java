package io.capybara.tls;

import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.NoSuchPaddingException;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsServerProtocol;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCipher;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.AbstractTlsSecret;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCertificate;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JceTlsSecret;

/**
 * One TLS 1.3 server handshake through BouncyCastle's non-blocking {@link TlsServerProtocol}
 * (whole records in with {@code offerInput}, records out with {@code readOutput}). Its crypto
 * object hands the traffic secrets over when BouncyCastle installs the handshake and then the
 * application keys: from then on the record layer is {@link TlsServerSession}'s own.
 */
final class Handshake {
    final TlsServerProtocol protocol = new TlsServerProtocol();
    private final TlsServerContext ctx;
    private final SecretCapture crypto;
    private final Server server;

    TlsSuite suite;
    byte[] clientRandom;
    byte[] clientHandshakeSecret;
    byte[] serverHandshakeSecret;
    byte[] clientAppSecret;
    byte[] serverAppSecret;
    /** max_fragment_length negotiated (1..4), or -1. */
    short maxFragmentLength = -1;
    boolean complete;
    /** The alert BouncyCastle raised or received, for the error line; -1 if none. */
    int alert = -1;
    String failure;

    Handshake(TlsServerContext ctx) throws IOException {
        this.ctx = ctx;
        this.crypto = ctx.handshakeCrypto();
        this.server = new Server(this, crypto, ctx);
        protocol.accept(server);
    }

    /** Feeds one whole record; the context's crypto reports secrets to this handshake meanwhile. */
    void offer(byte[] buf, int off, int len) throws IOException {
        crypto.current = this;
        try {
            protocol.offerInput(buf, off, len);
        } finally {
            crypto.current = null;
        }
    }

    /** The crypto a context's handshakes share (see {@link SecretCapture}). */
    static JcaTlsCrypto newCrypto(TlsServerContext ctx) {
        return new SecretCapture(ctx);
    }

    /**
     * BouncyCastle calls {@code createCipher} right after it derived a pair of traffic secrets:
     * first the handshake ones (no base key recorded yet), then the application ones.
     */
    /**
     * One per context, shared by its handshakes (BouncyCastle probes a crypto object's groups
     * and algorithms once per object, which costs more than a handshake); the handshake being
     * fed is {@link #current} (one thread per context).
     */
    private static final class SecretCapture extends JcaTlsCrypto {
        Handshake current;

        SecretCapture(TlsServerContext ctx) {
            super(JdkFirst.INSTANCE, ctx.random(), ctx.random());
        }

        @Override
        public TlsCipher createCipher(TlsCryptoParameters params, int encryptionAlgorithm, int macAlgorithm)
                throws IOException {
            TlsCipher cipher = super.createCipher(params, encryptionAlgorithm, macAlgorithm);
            Handshake hs = current;
            if (hs == null) {
                throw new IllegalStateException("cipher created outside a handshake's input");
            }
            SecurityParameters sp = params.getSecurityParametersHandshake();
            byte[] client = SecretBytes.of(sp.getTrafficSecretClient());
            byte[] server = SecretBytes.of(sp.getTrafficSecretServer());
            hs.clientRandom = sp.getClientRandom().clone();
            hs.suite = TlsSuite.byCode(sp.getCipherSuite());
            hs.maxFragmentLength = sp.getMaxFragmentLength();
            if (sp.getBaseKeyClient() == null) {
                hs.clientHandshakeSecret = client;
                hs.serverHandshakeSecret = server;
                hs.ctx.keyLog().log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs.clientRandom, client);
                hs.ctx.keyLog().log("SERVER_HANDSHAKE_TRAFFIC_SECRET", hs.clientRandom, server);
            } else {
                hs.clientAppSecret = client;
                hs.serverAppSecret = server;
                hs.ctx.keyLog().log("CLIENT_TRAFFIC_SECRET_0", hs.clientRandom, client);
                hs.ctx.keyLog().log("SERVER_TRAFFIC_SECRET_0", hs.clientRandom, server);
            }
            return cipher;
        }
    }

    /**
     * The JDK's providers (intrinsics for AES-GCM, X25519 and ECDSA), and BouncyCastle's own
     * (not registered globally) for what the JDK lacks: BouncyCastle's TLS code wants ChaCha20 and
     * Poly1305 as separate primitives.
     */
    private static final class JdkFirst extends DefaultJcaJceHelper {
        static final JdkFirst INSTANCE = new JdkFirst();
        private static final BouncyCastleProvider BC = new BouncyCastleProvider();

        @Override
        public Cipher createCipher(String algorithm)
                throws NoSuchAlgorithmException, NoSuchPaddingException {
            try {
                return super.createCipher(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return Cipher.getInstance(algorithm, BC);
            }
        }

        @Override
        public Mac createMac(String algorithm) throws NoSuchAlgorithmException {
            try {
                return super.createMac(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return Mac.getInstance(algorithm, BC);
            }
        }
    }

    /**
     * Reads a secret's bytes without destroying it: {@link TlsSecret#extract()} would, and
     * BouncyCastle still uses these secrets to finish the handshake. The copy goes through the
     * static {@code copyData} that BouncyCastle offers its secret classes' subclasses.
     */
    private static final class SecretBytes extends JceTlsSecret {
        private SecretBytes() {
            super(null, new byte[0]);
        }

        static byte[] of(TlsSecret s) {
            if (!(s instanceof AbstractTlsSecret a)) {
                throw new IllegalStateException("unexpected secret class " + s);
            }
            return copyData(a);
        }
    }

    private static final class Server extends DefaultTlsServer {
        private final Handshake hs;
        private final TlsServerContext ctx;
        private final JcaTlsCrypto jca;

        Server(Handshake hs, JcaTlsCrypto crypto, TlsServerContext ctx) {
            super(crypto);
            this.hs = hs;
            this.ctx = ctx;
            this.jca = crypto;
        }

        /** TLS 1.3 only: the record layer after the handshake is a TLS 1.3 one. */
        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.TLSv13.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            int[] wanted = ctx.suites().stream().mapToInt(TlsSuite::code).toArray();
            return TlsUtils.getSupportedCipherSuites(getCrypto(), wanted);
        }

        @Override
        public TlsCredentials getCredentials() throws IOException {
            TlsIdentity id = ctx.identity();
            List<CertificateEntry> entries = new ArrayList<>();
            try {
                for (X509Certificate c : id.chain()) {
                    TlsCertificate tc = new JcaTlsCertificate(jca, c.getEncoded());
                    entries.add(new CertificateEntry(tc, null));
                }
            } catch (CertificateEncodingException e) {
                throw new IOException(e);
            }
            Certificate chain = new Certificate(TlsUtils.EMPTY_BYTES, entries.toArray(new CertificateEntry[0]));
            return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), jca, id.key(), chain,
                    id.scheme());
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            hs.complete = true;
        }

        @Override
        public void notifyAlertRaised(short level, short description, String message, Throwable cause) {
            hs.alert = description;
            hs.failure = message != null ? message : cause != null ? cause.toString() : null;
        }

        @Override
        public void notifyAlertReceived(short level, short description) {
            hs.alert = description;
        }
    }
}
