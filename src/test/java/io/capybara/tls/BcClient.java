package io.capybara.tls;

import java.io.IOException;
import java.security.SecureRandom;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/** A TLS client driven in memory: BouncyCastle's TlsClientProtocol in non-blocking mode. */
final class BcClient {
    final TlsClientProtocol protocol = new TlsClientProtocol();
    short alertReceived = -1;

    BcClient(int[] suites, ProtocolVersion[] versions, SecureRandom random) throws IOException {
        DefaultTlsClient client = new DefaultTlsClient(new JcaTlsCryptoProvider().setProvider(new BouncyCastleProvider()).create(random)) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return versions;
            }

            @Override
            protected int[] getSupportedCipherSuites() {
                return suites;
            }

            @Override
            public TlsAuthentication getAuthentication() {
                return new ServerOnlyTlsAuthentication() {
                    @Override
                    public void notifyServerCertificate(TlsServerCertificate serverCertificate) {
                        // self-signed test server: accepted as curl --insecure would
                    }
                };
            }

            @Override
            public void notifyAlertReceived(short level, short description) {
                alertReceived = description;
            }
        };
        protocol.connect(client);
    }

    static BcClient tls13(TlsSuite suite, SecureRandom random) throws IOException {
        return new BcClient(new int[] {suite.code()}, ProtocolVersion.TLSv13.only(), random);
    }

    byte[] output() {
        byte[] b = new byte[protocol.getAvailableOutputBytes()];
        protocol.readOutput(b, 0, b.length);
        return b;
    }

    void input(byte[] b) throws IOException {
        protocol.offerInput(b);
    }

    void write(byte[] b) throws IOException {
        protocol.writeApplicationData(b, 0, b.length);
    }

    byte[] read() {
        byte[] b = new byte[protocol.getAvailableInputBytes()];
        protocol.readInput(b, 0, b.length);
        return b;
    }
}
