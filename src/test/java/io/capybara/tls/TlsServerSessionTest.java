package io.capybara.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.tcp.SnapshotException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The TLS server session against BouncyCastle's client in memory: every suite, migration
 * (snapshot on one context, restore on another) at awkward moments, KeyUpdate, tampering.
 */
class TlsServerSessionTest {
    static final TlsIdentity IDENTITY = TlsIdentity.selfSigned("capybara.test", Instant.parse("2026-01-01T00:00:00Z"),
            seeded(1));

    static SecureRandom seeded(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server end: a session, the plaintext it delivered, its context (its host). */
    static final class Server {
        TlsServerContext ctx;
        TlsServerSession session;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean consume = true;

        Server(TlsServerContext ctx) {
            this.ctx = ctx;
            this.session = TlsServerSession.accept(ctx);
        }

        void input(byte[] b) {
            int off = 0;
            while (true) {
                off += session.receive(new UnsafeBuffer(b), off, b.length - off);
                if (!consume || session.plaintextLength() == 0) {
                    break;
                }
                drainPlaintext();
            }
            if (consume) {
                drainPlaintext();
            }
            assertTrue(off == b.length || !consume || session.isPeerClosed(), "input not taken");
        }

        void drainPlaintext() {
            while (session.plaintextLength() > 0) {
                int n = session.plaintextLength();
                byte[] p = new byte[n];
                session.plaintextBuffer().getBytes(session.plaintextOffset(), p);
                received.write(p, 0, n);
                session.consumePlaintext(n);
            }
        }

        byte[] output() {
            int n = session.pendingOutput();
            byte[] b = new byte[n];
            session.outputBuffer().getBytes(session.outputOffset(), b);
            session.outputSent(n);
            return b;
        }

        /** Application bytes out through the in-place seal path. */
        byte[] write(byte[] data) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(output());
            int off = 0;
            while (off < data.length) {
                int p = session.maxPlaintext(64 * 1024);
                if (p == 0) {
                    out.writeBytes(output());
                    continue;
                }
                int n = Math.min(p, data.length - off);
                session.sealBuffer().putBytes(TlsServerSession.SEAL_OFFSET, data, off, n);
                int r = session.seal(n);
                byte[] rec = new byte[r];
                session.sealBuffer().getBytes(0, rec);
                out.writeBytes(rec);
                off += n;
            }
            return out.toByteArray();
        }

        /** Moves the session to a fresh context (another host): snapshot, release, restore. */
        void migrate() throws SnapshotException {
            int size = session.snapshotSize();
            UnsafeBuffer buf = new UnsafeBuffer(new byte[size + 8]);
            assertEquals(size, session.snapshot(buf, 4));
            session.release();
            ctx = new TlsServerContext(IDENTITY, seeded(99));
            session = TlsServerSession.restore(ctx, buf, 4, size);
            UnsafeBuffer again = new UnsafeBuffer(new byte[size]);
            session.snapshot(again, 0);
            assertArrayEquals(Arrays.copyOfRange(buf.byteArray(), 4, 4 + size), again.byteArray(),
                    "restored state snapshots bit for bit the same");
            session.resume();
            if (consume) {
                drainPlaintext();
            }
        }
    }

    static void handshake(BcClient c, Server s) throws IOException {
        for (int i = 0; i < 10 && !s.session.isEstablished(); i++) {
            s.input(c.output());
            c.input(s.output());
        }
        assertTrue(s.session.isEstablished(), "handshake: " + s.session.failure());
        assertTrue(c.protocol.isConnected());
    }

    static TlsServerContext context(KeyLog log) {
        return new TlsServerContext(IDENTITY, EnumSet.allOf(TlsSuite.class), seeded(7), log);
    }

    /** A server (default context) with the TLS 1.3 handshake of {@code c} done. */
    static Server establishedWith(BcClient c) throws IOException {
        Server s = new Server(context(null));
        handshake(c, s);
        return s;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @EnumSource(TlsSuite.class)
    void everySuiteHandshakesAndCarriesDataBothWays(TlsSuite suite) throws IOException {
        BcClient c = BcClient.tls13(suite, seeded(3));
        Server s = establishedWith(c);
        assertEquals(suite, s.session.suite());
        byte[] big = new byte[100_000];
        new Random(5).nextBytes(big);
        c.write(big);
        s.input(c.output());
        assertArrayEquals(big, s.received.toByteArray());
        c.input(s.write(big));
        assertArrayEquals(big, c.read());
        assertEquals(-1, s.session.alertSent());
    }

    @ParameterizedTest
    @EnumSource(TlsSuite.class)
    void aRecordSplitAcrossAMigrationDecryptsOnTheTarget(TlsSuite suite) throws Exception {
        BcClient c = BcClient.tls13(suite, seeded(4));
        Server s = establishedWith(c);
        c.write(bytes("GET /first HTTP/1.1\r\n\r\n"));
        c.write(bytes("GET /second HTTP/1.1\r\n\r\n"));
        byte[] wire = c.output();
        int cut = wire.length - 30; // inside the second record
        s.input(Arrays.copyOf(wire, cut));
        assertEquals("GET /first HTTP/1.1\r\n\r\n", s.received.toString(StandardCharsets.US_ASCII));
        s.migrate();
        s.input(Arrays.copyOfRange(wire, cut, wire.length));
        assertEquals("GET /first HTTP/1.1\r\n\r\nGET /second HTTP/1.1\r\n\r\n",
                s.received.toString(StandardCharsets.US_ASCII));
        // and the target's answer continues the origin's write sequence
        c.input(s.write(bytes("HTTP/1.1 200 OK\r\n")));
        assertEquals("HTTP/1.1 200 OK\r\n", new String(c.read(), StandardCharsets.US_ASCII));
        assertEquals(2, s.session.readSequence());
        assertEquals(1, s.session.writeSequence());
    }

    @Test
    void migrationsAtEveryByteOfARecordStream() throws Exception {
        BcClient c = BcClient.tls13(TlsSuite.TLS_AES_128_GCM_SHA256, seeded(8));
        Server s = establishedWith(c);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) {
            byte[] m = bytes("message " + i + " ");
            sent.writeBytes(m);
            c.write(m);
        }
        byte[] wire = c.output();
        for (int i = 0; i < wire.length; i++) {
            s.input(new byte[] {wire[i]});
            s.migrate();
        }
        assertArrayEquals(sent.toByteArray(), s.received.toByteArray());
    }

    @Test
    void plaintextTheApplicationHasNotTakenTravels() throws Exception {
        BcClient c = BcClient.tls13(TlsSuite.TLS_CHACHA20_POLY1305_SHA256, seeded(9));
        Server s = establishedWith(c);
        s.consume = false;
        c.write(bytes("one"));
        c.write(bytes("two"));
        s.input(c.output());
        assertEquals(3, s.session.plaintextLength());
        s.migrate();
        s.consume = true;
        s.drainPlaintext();
        assertEquals("onetwo", s.received.toString(StandardCharsets.US_ASCII));
    }

    @ParameterizedTest
    @EnumSource(TlsSuite.class)
    void keyUpdateBeforeAndAfterAMigration(TlsSuite suite) throws Exception {
        StringWriter log = new StringWriter();
        Server s = new Server(context(KeyLog.to(log)));
        BcClient c = BcClient.tls13(suite, seeded(10));
        handshake(c, s);
        for (int round = 1; round <= 2; round++) {
            // server updates its key and asks the client to update its own
            s.session.requestKeyUpdate(true);
            c.input(s.output());
            assertEquals(round, s.session.writeGeneration());
            c.write(bytes("after update " + round));
            s.input(c.output()); // the client's KeyUpdate, then data under its new key
            assertEquals(round, s.session.readGeneration());
            assertTrue(s.received.toString(StandardCharsets.US_ASCII).endsWith("after update " + round));
            c.input(s.write(bytes("reply " + round)));
            assertEquals("reply " + round, new String(c.read(), StandardCharsets.US_ASCII));
            s.migrate();
        }
        c.write(bytes("end"));
        s.input(c.output());
        assertTrue(s.received.toString(StandardCharsets.US_ASCII).endsWith("end"));
        // the server's context after the first migration logged generation 2 on the origin's log? no:
        // each context has its own key log; the first one saw the handshake and generation 1
        String l = log.toString();
        assertTrue(l.contains("SERVER_TRAFFIC_SECRET_1 "), l);
        assertTrue(l.contains("CLIENT_TRAFFIC_SECRET_1 "), l);
    }

    @Test
    void automaticKeyUpdateAfterTheRecordLimit() throws Exception {
        Server s = new Server(context(null).keyUpdateAfterRecords(3));
        BcClient c = BcClient.tls13(TlsSuite.TLS_AES_256_GCM_SHA384, seeded(11));
        handshake(c, s);
        for (int i = 0; i < 10; i++) {
            c.input(s.write(bytes("r" + i)));
            assertEquals("r" + i, new String(c.read(), StandardCharsets.US_ASCII));
        }
        assertEquals(3, s.session.writeGeneration());
        assertEquals(3, s.ctx.keyUpdatesSent());
    }

    @ParameterizedTest
    @EnumSource(TlsSuite.class)
    void aFlippedBitAfterAMigrationIsRefusedWithBadRecordMac(TlsSuite suite) throws Exception {
        BcClient c = BcClient.tls13(suite, seeded(12));
        Server s = establishedWith(c);
        c.write(bytes("hello"));
        s.input(c.output());
        s.migrate();
        c.write(bytes("tampered"));
        byte[] wire = c.output();
        wire[TlsRecords.HEADER + 2] ^= 0x10;
        s.input(wire);
        assertEquals("hello", s.received.toString(StandardCharsets.US_ASCII), "nothing of the bad record");
        assertEquals(TlsRecords.BAD_RECORD_MAC, s.session.alertSent());
        assertTrue(s.session.isPeerClosed());
        byte[] alert = s.output();
        assertTrue(s.session.isFinished(), "close the connection now");
        TlsFatalAlertReceived e = assertThrows(TlsFatalAlertReceived.class, () -> c.input(alert));
        assertEquals(AlertDescription.bad_record_mac, e.getAlertDescription());
        // later records are not even looked at
        s.input(bytes("garbage"));
        assertEquals("hello", s.received.toString(StandardCharsets.US_ASCII));
        assertEquals(1, s.ctx.badRecordMac());
    }

    @Test
    void everyFlippedBitOfARecordIsRefused() throws Exception {
        BcClient c0 = BcClient.tls13(TlsSuite.TLS_AES_128_GCM_SHA256, seeded(13));
        Server s0 = new Server(context(null));
        handshake(c0, s0);
        c0.write(bytes("x"));
        byte[] wire = c0.output();
        int size = s0.session.snapshotSize();
        UnsafeBuffer state = new UnsafeBuffer(new byte[size]);
        s0.session.snapshot(state, 0);
        for (int bit = 0; bit < wire.length * 8; bit++) {
            TlsServerSession t = TlsServerSession.restore(new TlsServerContext(IDENTITY, seeded(1)), state, 0, size);
            byte[] w = wire.clone();
            w[bit / 8] ^= (byte) (1 << (bit % 8));
            t.receive(new UnsafeBuffer(w), 0, w.length);
            assertEquals(0, t.plaintextLength(), "bit " + bit + " accepted");
            if (bit >= 8 * 3) { // a changed length leaves the record incomplete: nothing accepted either
                assertTrue(t.alertSent() > 0 || t.inputRoom() > 0, "bit " + bit);
            }
        }
    }

    @Test
    void closeNotifyBothWays() throws Exception {
        BcClient c = BcClient.tls13(TlsSuite.TLS_AES_128_GCM_SHA256, seeded(14));
        Server s = establishedWith(c);
        s.session.close();
        assertFalse(s.session.isFinished(), "close_notify still to send");
        c.input(s.output());
        assertTrue(s.session.isFinished());
        assertTrue(c.protocol.isClosed(), "the client saw close_notify");
        byte[] last = c.output(); // its own close_notify
        s.input(last);
        assertTrue(s.session.isPeerClosed());
        assertEquals(TlsRecords.CLOSE_NOTIFY, s.session.alertReceived());
        assertFalse(s.session.failed());
    }

    @Test
    void tls12OnlyClientIsRefused() throws Exception {
        Server s = new Server(context(null));
        BcClient c = new BcClient(new int[] {0xC02B /* ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */},
                ProtocolVersion.TLSv12.only(), seeded(15));
        s.input(c.output());
        assertFalse(s.session.isEstablished());
        assertEquals(AlertDescription.protocol_version, s.session.alertSent());
        assertTrue(s.session.isPeerClosed());
        byte[] alert = s.output();
        assertTrue(alert.length > 0);
        assertThrows(TlsFatalAlertReceived.class, () -> c.input(alert));
        assertTrue(s.session.isFinished());
    }

    @Test
    void keyLogHoldsTheSecretsThatOpenTheClientsRecords() throws Exception {
        StringWriter log = new StringWriter();
        Server s = new Server(context(KeyLog.to(log)));
        BcClient c = BcClient.tls13(TlsSuite.TLS_AES_128_GCM_SHA256, seeded(16));
        handshake(c, s);
        List<String> lines = log.toString().lines().toList();
        assertEquals(List.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"), lines.stream().map(l -> l.split(" ")[0]).toList());
        byte[] clientSecret = HexFormat.of().parseHex(lines.get(2).split(" ")[2]);
        assertEquals(64, lines.get(2).split(" ")[1].length(), "32-byte client random");
        // an independent opener built from the logged secret alone
        RecordProtection opener = new RecordProtection(TlsSuite.TLS_AES_128_GCM_SHA256);
        opener.install(clientSecret, 0);
        opener.cipher(javax.crypto.Cipher.getInstance("AES/GCM/NoPadding"));
        c.write(bytes("secret words"));
        byte[] wire = c.output();
        int n = opener.open(wire, 0, wire.length - TlsRecords.HEADER);
        assertEquals("secret words", new String(wire, TlsRecords.HEADER, n - 1, StandardCharsets.US_ASCII));
    }

    @Test
    void corruptOrTruncatedSnapshotsAreRefused() throws Exception {
        BcClient c = BcClient.tls13(TlsSuite.TLS_AES_128_GCM_SHA256, seeded(17));
        Server s = establishedWith(c);
        int size = s.session.snapshotSize();
        UnsafeBuffer buf = new UnsafeBuffer(new byte[size]);
        s.session.snapshot(buf, 0);
        for (int i = 0; i < size; i++) {
            byte[] b = buf.byteArray().clone();
            b[i] ^= 1;
            assertThrows(SnapshotException.class, () -> TlsServerSession.restore(s.ctx, new UnsafeBuffer(b), 0, size));
        }
        assertThrows(SnapshotException.class, () -> TlsServerSession.restore(s.ctx, buf, 0, size - 1));
        assertNotNull(TlsServerSession.restore(s.ctx, buf, 0, size));
    }

    @Test
    void aHandshakeCannotMigrate() throws Exception {
        Server s = new Server(context(null));
        BcClient c = BcClient.tls13(TlsSuite.TLS_AES_128_GCM_SHA256, seeded(18));
        s.input(c.output());
        assertTrue(s.session.isHandshaking());
        assertEquals(-1, s.session.snapshotSize());
    }
}
