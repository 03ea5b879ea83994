package io.capybara.tls;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import javax.crypto.Cipher;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What the TLS sessions of one server share (one per host loop; not thread-safe): the
 * identity, the cipher suites offered, the handshake randomness, the key log, pools of
 * {@link Cipher} objects and record buffers (so that a migrated session reuses them instead of
 * creating its own), the scratch buffer records are sealed in, and counters.
 */
public final class TlsServerContext {
    /**
     * Records under one key before the server updates it (RFC 8446 section 5.5 allows about
     * 2^24.5 full records for AES-GCM).
     */
    public static final long DEFAULT_KEY_UPDATE_RECORDS = 1L << 24;

    private final TlsIdentity identity;
    private final Set<TlsSuite> suites;
    private final SecureRandom random;
    private final KeyLog keyLog;
    private long keyUpdateAfterRecords = DEFAULT_KEY_UPDATE_RECORDS;
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Cipher>[] ciphers = new ArrayDeque[TlsSuite.values().length];
    private final ArrayDeque<byte[]> buffers = new ArrayDeque<>();
    private final byte[] seal = new byte[TlsRecords.MAX_RECORD];
    private final UnsafeBuffer sealBuffer = new UnsafeBuffer(seal);
    private Object handshakeCrypto;

    long handshakes;
    long handshakeFailures;
    long sessionsRestored;
    long recordsIn;
    long recordsOut;
    long keyUpdatesReceived;
    long keyUpdatesSent;
    long badRecordMac;
    long fatalAlertsSent;
    long fatalAlertsReceived;

    /**
     * @param suites the suites offered, in the server's order of preference
     * @param random the handshake's randomness (key shares, signatures); read only while
     *               handshaking
     */
    public TlsServerContext(TlsIdentity identity, Set<TlsSuite> suites, SecureRandom random, KeyLog keyLog) {
        if (suites.isEmpty()) {
            throw new IllegalArgumentException("no cipher suite");
        }
        this.identity = identity;
        this.suites = EnumSet.copyOf(suites);
        this.random = random;
        this.keyLog = keyLog == null ? KeyLog.NONE : keyLog;
        for (int i = 0; i < ciphers.length; i++) {
            ciphers[i] = new ArrayDeque<>();
        }
    }

    public TlsServerContext(TlsIdentity identity, SecureRandom random) {
        this(identity, EnumSet.allOf(TlsSuite.class), random, KeyLog.NONE);
    }

    /** Updates the write key after this many records (tests use small values). */
    public TlsServerContext keyUpdateAfterRecords(long records) {
        this.keyUpdateAfterRecords = Math.max(1, records);
        return this;
    }

    long keyUpdateAfterRecords() {
        return keyUpdateAfterRecords;
    }

    public TlsIdentity identity() {
        return identity;
    }

    public Set<TlsSuite> suites() {
        return suites;
    }

    SecureRandom random() {
        return random;
    }

    /** BouncyCastle's crypto object for this context's handshakes, made on first use. */
    @SuppressWarnings("unchecked")
    <T> T handshakeCrypto() {
        if (handshakeCrypto == null) {
            handshakeCrypto = Handshake.newCrypto(this);
        }
        return (T) handshakeCrypto;
    }

    KeyLog keyLog() {
        return keyLog;
    }

    Cipher takeCipher(TlsSuite suite) {
        Cipher c = ciphers[suite.ordinal()].pollLast();
        if (c != null) {
            return c;
        }
        try {
            return Cipher.getInstance(suite.transformation());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(suite.transformation() + " unavailable", e);
        }
    }

    void giveCipher(TlsSuite suite, Cipher c) {
        if (c != null) {
            ciphers[suite.ordinal()].addLast(c);
        }
    }

    /** A buffer for one session's received records: room for a whole record and a TCP read more. */
    byte[] takeBuffer() {
        byte[] b = buffers.pollLast();
        return b != null ? b : new byte[2 * TlsRecords.MAX_RECORD];
    }

    void giveBuffer(byte[] b) {
        if (b != null) {
            buffers.addLast(b);
        }
    }

    byte[] sealArray() {
        return seal;
    }

    UnsafeBuffer sealBuffer() {
        return sealBuffer;
    }

    // ---- counters

    long[] counters() {
        return new long[] {handshakes, handshakeFailures, sessionsRestored, recordsIn, recordsOut, keyUpdatesReceived,
            keyUpdatesSent, badRecordMac, fatalAlertsSent, fatalAlertsReceived};
    }

    void counters(long[] c) {
        handshakes = c[0];
        handshakeFailures = c[1];
        sessionsRestored = c[2];
        recordsIn = c[3];
        recordsOut = c[4];
        keyUpdatesReceived = c[5];
        keyUpdatesSent = c[6];
        badRecordMac = c[7];
        fatalAlertsSent = c[8];
        fatalAlertsReceived = c[9];
    }

    /**
     * The counters by their report names ({@code tls_handshakes}, ..., {@code
     * tls_fatal_alerts_received}), in a fixed order: the lab's JSON and a rack server's status.
     */
    public java.util.Map<String, Long> counterMap() {
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        m.put("tls_handshakes", handshakes);
        m.put("tls_handshake_failures", handshakeFailures);
        m.put("tls_sessions_restored", sessionsRestored);
        m.put("tls_records_in", recordsIn);
        m.put("tls_records_out", recordsOut);
        m.put("tls_key_updates_received", keyUpdatesReceived);
        m.put("tls_key_updates_sent", keyUpdatesSent);
        m.put("tls_bad_record_mac", badRecordMac);
        m.put("tls_fatal_alerts_sent", fatalAlertsSent);
        m.put("tls_fatal_alerts_received", fatalAlertsReceived);
        return m;
    }

    public long handshakes() {
        return handshakes;
    }

    public long handshakeFailures() {
        return handshakeFailures;
    }

    public long sessionsRestored() {
        return sessionsRestored;
    }

    public long recordsIn() {
        return recordsIn;
    }

    public long recordsOut() {
        return recordsOut;
    }

    public long keyUpdatesReceived() {
        return keyUpdatesReceived;
    }

    public long keyUpdatesSent() {
        return keyUpdatesSent;
    }

    public long badRecordMac() {
        return badRecordMac;
    }

    public long fatalAlertsSent() {
        return fatalAlertsSent;
    }

    public long fatalAlertsReceived() {
        return fatalAlertsReceived;
    }
}
