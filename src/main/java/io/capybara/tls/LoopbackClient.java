package io.capybara.tls;

import java.io.IOException;
import java.security.SecureRandom;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * A TLS 1.3 client in memory (BouncyCastle's, non-blocking) that accepts any certificate:
 * to warm a server's handshake path up before real clients come (the first handshakes on a
 * cold JVM take hundreds of milliseconds, which a one-thread rack loop cannot afford), and as
 * the client of {@code bench migration --tls}. Not for talking to anyone else.
 */
public final class LoopbackClient {
    /** BouncyCastle's provider (not registered globally; made once: it is expensive to build). */
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
    private final TlsClientProtocol protocol = new TlsClientProtocol();

    /**
     * The crypto of many clients: BouncyCastle probes which groups and algorithms a crypto
     * object supports once per object, which costs more than a handshake.
     */
    public static org.bouncycastle.tls.crypto.TlsCrypto crypto(SecureRandom random) {
        return new JcaTlsCryptoProvider().setProvider(BC).create(random);
    }

    public LoopbackClient(TlsSuite suite, org.bouncycastle.tls.crypto.TlsCrypto crypto) {
        DefaultTlsClient client = new DefaultTlsClient(crypto) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return ProtocolVersion.TLSv13.only();
            }

            @Override
            protected int[] getSupportedCipherSuites() {
                return new int[] {suite.code()};
            }

            @Override
            public TlsAuthentication getAuthentication() {
                return new ServerOnlyTlsAuthentication() {
                    @Override
                    public void notifyServerCertificate(TlsServerCertificate serverCertificate) {
                        // loopback: the server is our own
                    }
                };
            }
        };
        try {
            protocol.connect(client);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes to send to the server (handshake or records). */
    public byte[] output() {
        byte[] b = new byte[protocol.getAvailableOutputBytes()];
        protocol.readOutput(b, 0, b.length);
        return b;
    }

    public void input(byte[] b, int off, int len) throws IOException {
        protocol.offerInput(b, off, len);
    }

    public boolean isConnected() {
        return protocol.isConnected();
    }

    public void write(byte[] b, int off, int len) throws IOException {
        protocol.writeApplicationData(b, off, len);
    }

    /** Application bytes received. */
    public byte[] read() {
        byte[] b = new byte[protocol.getAvailableInputBytes()];
        protocol.readInput(b, 0, b.length);
        return b;
    }

    /**
     * A session of {@code ctx} established with a loopback client, after one request and one
     * answer (so both sequence numbers have moved); the client is returned in {@code client[0]}
     * if that is not null.
     */
    public static TlsServerSession establish(TlsServerContext ctx, TlsSuite suite,
                                             org.bouncycastle.tls.crypto.TlsCrypto crypto, LoopbackClient[] client) {
        byte[] hello = "GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        org.agrona.concurrent.UnsafeBuffer buf = new org.agrona.concurrent.UnsafeBuffer(new byte[0]);
        LoopbackClient c = new LoopbackClient(suite, crypto);
        TlsServerSession s = TlsServerSession.accept(ctx);
        try {
            for (int round = 0; round < 10 && !s.isEstablished() && !s.isPeerClosed(); round++) {
                byte[] out = c.output();
                buf.wrap(out);
                s.receive(buf, 0, out.length);
                byte[] back = new byte[s.pendingOutput()];
                s.outputBuffer().getBytes(s.outputOffset(), back);
                s.outputSent(back.length);
                c.input(back, 0, back.length);
            }
            if (!s.isEstablished()) {
                throw new IllegalStateException("loopback TLS handshake failed: " + s.failure());
            }
            c.write(hello, 0, hello.length);
            byte[] rec = c.output();
            buf.wrap(rec);
            s.receive(buf, 0, rec.length);
            s.consumePlaintext(s.plaintextLength());
            int p = s.maxPlaintext(1 << 16);
            s.sealBuffer().putBytes(TlsServerSession.SEAL_OFFSET, hello, 0, Math.min(p, hello.length));
            int r = s.seal(Math.min(p, hello.length));
            byte[] answer = new byte[r];
            s.sealBuffer().getBytes(0, answer);
            c.input(answer, 0, r);
            c.read();
        } catch (IOException e) {
            s.release();
            throw new IllegalStateException("loopback TLS exchange failed: " + e.getMessage(), e);
        }
        if (client != null) {
            client[0] = c;
        }
        return s;
    }

    /**
     * Runs {@code n} handshakes of each suite the context offers, each with a request, an
     * answer, a snapshot and a restore, against sessions of {@code ctx}, then {@link
     * #RECORDS_PER_HANDSHAKE} x {@code n} records of each suite ({@link #warmRecords}); the
     * sessions are released after. Leaves the context's counters as they were.
     */
    public static void warmUp(TlsServerContext ctx, int n) {
        long[] before = ctx.counters();
        org.bouncycastle.tls.crypto.TlsCrypto crypto = crypto(ctx.random());
        for (int i = 0; i < n; i++) {
            for (TlsSuite suite : ctx.suites()) {
                TlsServerSession s = establish(ctx, suite, crypto, null);
                try {
                    org.agrona.concurrent.UnsafeBuffer state = new org.agrona.concurrent.UnsafeBuffer(
                            new byte[s.snapshotSize()]);
                    s.snapshot(state, 0);
                    s.release();
                    s = TlsServerSession.restore(ctx, state, 0, state.capacity());
                } catch (io.capybara.tcp.SnapshotException e) {
                    throw new IllegalStateException("TLS warm-up failed: " + e.getMessage(), e);
                } finally {
                    s.release();
                }
            }
        }
        warmRecords(ctx, RECORDS_PER_HANDSHAKE * n);
        ctx.counters(before);
    }

    /** Records sealed and opened per warm-up handshake (see {@link #warmRecords}). */
    static final int RECORDS_PER_HANDSHAKE = 100;

    /**
     * Seals and opens {@code records} records of each suite through the context's ciphers. On a
     * cold JVM the first records cost milliseconds each (3.2 ms for the first 100 AES-128-GCM
     * records of 600 B here, 0.66 ms for the next 1,000, 63 us after 5,000, at load 33): the JDK's
     * AES and GHASH run as plain Java until the JIT compiles them with their intrinsics. A rack
     * server that has only handshaken would pay that on the first sessions migrated to it, while
     * they and its heartbeats wait.
     */
    static void warmRecords(TlsServerContext ctx, int records) {
        byte[] buf = new byte[TlsRecords.HEADER + 600 + 1 + TlsSuite.TAG_LENGTH];
        for (TlsSuite suite : ctx.suites()) {
            RecordProtection w = new RecordProtection(suite);
            RecordProtection r = new RecordProtection(suite);
            byte[] secret = new byte[suite.hashLength()];
            ctx.random().nextBytes(secret);
            w.install(secret, 0);
            r.install(secret, 0);
            w.cipher(ctx.takeCipher(suite));
            r.cipher(ctx.takeCipher(suite));
            try {
                for (int i = 0; i < records; i++) {
                    int len = w.seal(buf, 0, 601);
                    if (r.open(buf, 0, len - TlsRecords.HEADER) != 601) {
                        throw new IllegalStateException("TLS warm-up: a record did not open");
                    }
                }
            } finally {
                ctx.giveCipher(suite, w.cipher());
                ctx.giveCipher(suite, r.cipher());
            }
        }
    }
}
