package io.capybara.tls;

import io.capybara.tcp.SnapshotException;
import io.capybara.wire.BufferCrc;
import java.io.IOException;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One TLS 1.3 server connection, sans-IO: TLS records from the transport in, plaintext out to
 * the application; plaintext from the application in, records out. No thread, no clock, no
 * socket.
 *
 * <p>The handshake runs in BouncyCastle ({@link Handshake}), fed one whole record at a time so
 * that it never sees a byte past the client's Finished. From then on the record layer is ours
 * (RFC 8446 section 5): {@link RecordProtection} per direction, KeyUpdate (section 4.6.3) both
 * ways, alerts. After the handshake the whole state is a value: {@link #snapshot} writes it
 * (suite, client random, both traffic secrets with their keys, IVs, sequence numbers and
 * KeyUpdate generations, a partly received record, decrypted bytes the application has not
 * taken, records not yet sent) and {@link #restore} continues it on another host bit for bit.
 *
 * <p>Driving it (the application's loop):
 * <pre>
 *   room = tls.inputRoom();                       // 0 while plaintext waits for the application
 *   n = conn.receive(tls.inputBuffer(), tls.inputOffset(), min(room, conn.readableBytes()));
 *   tls.inputWritten(n);                          // runs the handshake or opens records
 *   app.onReceive(tls.plaintextBuffer(), tls.plaintextOffset(), k); tls.consumePlaintext(k);
 *   conn.send(tls.outputBuffer(), tls.outputOffset(), tls.pendingOutput()) -> tls.outputSent(m);
 *   p = tls.maxPlaintext(conn.writableBytes());   // 0 while records wait in the output
 *   k = app.produce(tls.sealBuffer(), TlsServerSession.SEAL_OFFSET, p);
 *   conn.send(tls.sealBuffer(), 0, tls.seal(k));  // one record, all of it fits
 *   if (tls.isFinished()) conn.close();           // after a fatal alert or close_notify went out
 * </pre>
 */
public final class TlsServerSession {
    /** Where the application writes plaintext in {@link #sealBuffer()}. */
    public static final int SEAL_OFFSET = TlsRecords.HEADER;

    private static final int HANDSHAKING = 0;
    private static final int OPEN = 1;
    private static final int CLOSED = 2;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    /** What the input view shows while the session holds no input buffer. */
    private static final byte[] NO_INPUT = new byte[0];
    private static final int MAGIC = 0x544C5333; // "TLS3"
    private static final short VERSION = 1;
    private static final int FIXED = 92;
    private static final int TRAILER = 4;
    private static final int FLAG_PEER_CLOSED = 1;
    private static final int FLAG_CLOSE_SENT = 2;

    private final TlsServerContext ctx;
    private Handshake hs;
    /** Whether the handshake has been fed the client's first record (its ClientHello). */
    private boolean helloFed;
    private int phase;
    private TlsSuite suite;
    private byte[] clientRandom;
    private RecordProtection read;
    private RecordProtection write;
    private int maxPlaintext = TlsRecords.MAX_PLAINTEXT;

    // Received bytes: [plainOff, plainOff + plainLen) decrypted and waiting for the application,
    // [inStart, inEnd) records not opened yet (the last one maybe partial). Taken from the
    // context's pool while in use, given back when empty.
    private byte[] in;
    private final UnsafeBuffer inView = new UnsafeBuffer(NO_INPUT);
    private int inStart;
    private int inEnd;
    private int plainOff;
    private int plainLen;

    // Records ready to go out (handshake flights, alerts, KeyUpdate): [outStart, outEnd).
    private byte[] out;
    private final UnsafeBuffer outView = new UnsafeBuffer(new byte[0]);
    private int outStart;
    private int outEnd;

    // A post-handshake handshake message split across records (only KeyUpdate is allowed).
    private final byte[] hsMsg = new byte[5];
    private int hsLen;

    private boolean peerClosed;
    private boolean closeSent;
    private int alertSent = -1;
    private int alertReceived = -1;
    private String failure;

    private TlsServerSession(TlsServerContext ctx) {
        this.ctx = ctx;
    }

    /** A new connection: the handshake starts with the client's first bytes. */
    public static TlsServerSession accept(TlsServerContext ctx) {
        TlsServerSession s = new TlsServerSession(ctx);
        try {
            s.hs = new Handshake(ctx);
        } catch (IOException e) {
            throw new IllegalStateException("TLS server cannot start: " + e.getMessage(), e);
        }
        s.phase = HANDSHAKING;
        return s;
    }

    // ------------------------------------------------------------------ state

    /**
     * The client's first flight (ClientHello) has not been fed to the handshake yet: the costly
     * step of the handshake (key exchange and signature, milliseconds of CPU on a cold JVM) is
     * still ahead. A server loop may hold such a session back to keep serving the others.
     */
    public boolean awaitsClientHello() {
        return phase == HANDSHAKING && !helloFed;
    }

    public boolean isHandshaking() {
        return phase == HANDSHAKING;
    }

    public boolean isEstablished() {
        return phase == OPEN;
    }

    /** The client sent close_notify (or failed): no more plaintext comes after what is pending. */
    public boolean isPeerClosed() {
        return peerClosed || phase == CLOSED;
    }

    /** Nothing more to do but close the transport: the session ended and its last records are out. */
    public boolean isFinished() {
        return (phase == CLOSED || closeSent) && outEnd == outStart;
    }

    /** close_notify has been queued: nothing more goes out. */
    public boolean isClosing() {
        return closeSent;
    }

    public boolean failed() {
        return alertSent > 0 || alertReceived > 0;
    }

    /** The fatal alert we sent (or -1), e.g. {@link TlsRecords#BAD_RECORD_MAC}. */
    public int alertSent() {
        return alertSent;
    }

    /** The alert the client sent (or -1; 0 is close_notify). */
    public int alertReceived() {
        return alertReceived;
    }

    /** Why the session failed, one line; null if it did not. */
    public String failure() {
        return failure;
    }

    public TlsSuite suite() {
        return suite;
    }

    public long readSequence() {
        return read == null ? 0 : read.sequence();
    }

    public long writeSequence() {
        return write == null ? 0 : write.sequence();
    }

    /** KeyUpdates applied to the client's and to our traffic secret. */
    public int readGeneration() {
        return read == null ? 0 : read.generation();
    }

    public int writeGeneration() {
        return write == null ? 0 : write.generation();
    }

    // ------------------------------------------------------------------ input

    /**
     * Bytes {@link #inputWritten} can take now at {@link #inputOffset()} of {@link #inputBuffer()};
     * 0 while decrypted bytes wait for the application or after the session ended.
     */
    public int inputRoom() {
        if (phase == CLOSED || plainLen > 0 || peerClosed) {
            return 0;
        }
        if (in == null) {
            in = ctx.takeBuffer();
            inView.wrap(in);
        } else if (inStart > 0) {
            System.arraycopy(in, inStart, in, 0, inEnd - inStart);
            inEnd -= inStart;
            inStart = 0;
        }
        return in.length - inEnd;
    }

    public MutableDirectBuffer inputBuffer() {
        return inView;
    }

    public int inputOffset() {
        return inEnd;
    }

    /** {@code n} bytes were written at {@link #inputOffset()}: processes every whole record. */
    public void inputWritten(int n) {
        inEnd += n;
        process();
    }

    /** Copies and processes received bytes; returns how many were taken (see {@link #inputRoom()}). */
    public int receive(DirectBuffer src, int offset, int length) {
        int taken = 0;
        while (taken < length) {
            int room = inputRoom();
            if (room == 0) {
                break;
            }
            int n = Math.min(room, length - taken);
            src.getBytes(offset + taken, in, inEnd, n);
            taken += n;
            inputWritten(n);
        }
        return taken;
    }

    public DirectBuffer plaintextBuffer() {
        return inView;
    }

    public int plaintextOffset() {
        return plainOff;
    }

    /** Decrypted application bytes waiting to be taken. */
    public int plaintextLength() {
        return plainLen;
    }

    /** The application took {@code n} bytes from {@link #plaintextOffset()}: opens the next records. */
    public void consumePlaintext(int n) {
        plainOff += n;
        plainLen -= n;
        if (plainLen == 0) {
            process();
        }
    }

    private void process() {
        while (plainLen == 0 && phase != CLOSED) {
            int avail = inEnd - inStart;
            if (avail < TlsRecords.HEADER) {
                break;
            }
            int type = in[inStart];
            int length = (in[inStart + 3] & 0xFF) << 8 | in[inStart + 4] & 0xFF;
            if (phase == HANDSHAKING) {
                if (length > TlsRecords.MAX_CIPHERTEXT + 2048 || avail < TlsRecords.HEADER + length
                        && in.length - inStart < TlsRecords.HEADER + length) {
                    // a record no TLS 1.3 peer sends; BouncyCastle gives the precise alert
                    feedHandshake(inStart, avail);
                    break;
                }
                if (avail < TlsRecords.HEADER + length) {
                    break;
                }
                int start = inStart;
                inStart += TlsRecords.HEADER + length;
                feedHandshake(start, TlsRecords.HEADER + length);
                continue;
            }
            if (length > TlsRecords.MAX_CIPHERTEXT) {
                fatal(TlsRecords.RECORD_OVERFLOW, "record of " + length + " bytes");
                break;
            }
            if (avail < TlsRecords.HEADER + length) {
                break;
            }
            int start = inStart;
            inStart += TlsRecords.HEADER + length;
            if (type != TlsRecords.APPLICATION_DATA) {
                fatal(TlsRecords.UNEXPECTED_MESSAGE, "unprotected record of type " + type + " after the handshake");
                break;
            }
            if (read.sequence() == -1L) {
                fatal(TlsRecords.INTERNAL_ERROR, "read sequence number exhausted");
                break;
            }
            int inner = read.open(in, start, length);
            if (inner < 0) {
                ctx.badRecordMac++;
                fatal(TlsRecords.BAD_RECORD_MAC, "record " + read.sequence() + " does not authenticate");
                break;
            }
            ctx.recordsIn++;
            if (inner > TlsRecords.MAX_PLAINTEXT + 1) {
                fatal(TlsRecords.RECORD_OVERFLOW, "plaintext of " + inner + " bytes");
                break;
            }
            int body = start + TlsRecords.HEADER;
            int end = body + inner - 1;
            while (end >= body && in[end] == 0) {
                end--; // padding
            }
            if (end < body) {
                fatal(TlsRecords.UNEXPECTED_MESSAGE, "record without a content type");
                break;
            }
            int content = in[end];
            int len = end - body;
            switch (content) {
                case TlsRecords.APPLICATION_DATA -> {
                    if (len > 0) {
                        plainOff = body;
                        plainLen = len;
                    }
                }
                case TlsRecords.HANDSHAKE -> onHandshakeBytes(body, len);
                case TlsRecords.ALERT -> onAlert(body, len);
                default -> fatal(TlsRecords.UNEXPECTED_MESSAGE, "protected record of content type " + content);
            }
        }
        if (plainLen == 0 && inStart == inEnd && in != null) {
            ctx.giveBuffer(in);
            in = null;
            inView.wrap(NO_INPUT, 0, 0); // (per record: no allocation)
            inStart = 0;
            inEnd = 0;
            plainOff = 0;
        }
    }

    private void feedHandshake(int start, int length) {
        try {
            helloFed = true;
            hs.offer(in, start, length);
        } catch (IOException e) {
            drainHandshake();
            ctx.handshakeFailures++;
            alertSent = hs.alert > 0 ? hs.alert : TlsRecords.HANDSHAKE_FAILURE;
            failure = "handshake failed: " + (hs.failure != null ? hs.failure : e.toString());
            phase = CLOSED;
            hs = null;
            return;
        }
        drainHandshake();
        if (hs.complete) {
            if (hs.clientAppSecret == null || hs.suite == null) {
                fatal(TlsRecords.INTERNAL_ERROR, "handshake ended without application secrets");
                return;
            }
            suite = hs.suite;
            clientRandom = hs.clientRandom;
            short mfl = hs.maxFragmentLength;
            if (mfl >= 1 && mfl <= 4) {
                maxPlaintext = 1 << (8 + mfl);
            }
            read = new RecordProtection(suite);
            write = new RecordProtection(suite);
            read.install(hs.clientAppSecret, 0);
            write.install(hs.serverAppSecret, 0);
            read.cipher(ctx.takeCipher(suite));
            write.cipher(ctx.takeCipher(suite));
            hs = null; // BouncyCastle's part is over
            phase = OPEN;
            ctx.handshakes++;
        }
    }

    private void drainHandshake() {
        int n = hs.protocol.getAvailableOutputBytes();
        if (n > 0) {
            ensureOut(n);
            outEnd += hs.protocol.readOutput(out, outEnd, n);
        }
    }

    private void onHandshakeBytes(int off, int len) {
        if (len == 0) {
            fatal(TlsRecords.UNEXPECTED_MESSAGE, "empty handshake record");
            return;
        }
        for (int i = 0; i < len && phase != CLOSED; i++) {
            hsMsg[hsLen++] = in[off + i];
            if (hsLen == 4) {
                int type = hsMsg[0];
                int length = (hsMsg[1] & 0xFF) << 16 | (hsMsg[2] & 0xFF) << 8 | hsMsg[3] & 0xFF;
                if (type != TlsRecords.HANDSHAKE_KEY_UPDATE) {
                    fatal(TlsRecords.UNEXPECTED_MESSAGE, "post-handshake message of type " + type);
                } else if (length != 1) {
                    fatal(TlsRecords.DECODE_ERROR, "KeyUpdate of length " + length);
                }
            } else if (hsLen == 5) {
                hsLen = 0;
                int request = hsMsg[4];
                if (request != TlsRecords.UPDATE_NOT_REQUESTED && request != TlsRecords.UPDATE_REQUESTED) {
                    fatal(TlsRecords.ILLEGAL_PARAMETER, "KeyUpdate request " + request);
                    return;
                }
                if (i != len - 1) {
                    // RFC 8446 5.1: a key change must fall on a record boundary
                    fatal(TlsRecords.UNEXPECTED_MESSAGE, "data after KeyUpdate in the same record");
                    return;
                }
                read.update();
                ctx.keyUpdatesReceived++;
                ctx.keyLog().log("CLIENT_TRAFFIC_SECRET_" + read.generation(), clientRandom, read.secret());
                if (request == TlsRecords.UPDATE_REQUESTED && !closeSent) {
                    sendKeyUpdate(false);
                }
            }
        }
    }

    private void onAlert(int off, int len) {
        if (len != 2) {
            fatal(TlsRecords.DECODE_ERROR, "alert of " + len + " bytes");
            return;
        }
        int description = in[off + 1] & 0xFF;
        alertReceived = description;
        if (description == TlsRecords.CLOSE_NOTIFY) {
            peerClosed = true; // what follows it is ignored (RFC 8446 6.1)
            inStart = inEnd;
        } else {
            ctx.fatalAlertsReceived++;
            failure = "client sent alert " + TlsRecords.alertName(description);
            phase = CLOSED;
        }
    }

    /** Sends a fatal alert (protected once the handshake is over) and ends the session. */
    private void fatal(int description, String why) {
        if (phase == OPEN && !closeSent) {
            sendControl(TlsRecords.ALERT, TlsRecords.ALERT_FATAL, (byte) description);
        }
        ctx.fatalAlertsSent++;
        alertSent = description;
        failure = TlsRecords.alertName(description) + ": " + why;
        phase = CLOSED;
        hs = null;
        inStart = inEnd; // nothing after a fatal error is read
        plainLen = 0;
    }

    // ------------------------------------------------------------------ output

    /** Bytes of records waiting to be sent, at {@link #outputOffset()} of {@link #outputBuffer()}. */
    public int pendingOutput() {
        return outEnd - outStart;
    }

    public DirectBuffer outputBuffer() {
        return outView;
    }

    public int outputOffset() {
        return outStart;
    }

    /** The transport took {@code n} bytes of the pending output. */
    public void outputSent(int n) {
        outStart += n;
        if (outStart == outEnd) {
            outStart = 0;
            outEnd = 0;
        }
    }

    /**
     * How much plaintext one record can carry now if the transport takes {@code room} bytes;
     * 0 while other records must go first, before or after the handshake, or after close.
     */
    public int maxPlaintext(int room) {
        if (phase != OPEN || closeSent || outEnd > outStart) {
            return 0;
        }
        if (write.sequence() >= ctx.keyUpdateAfterRecords()) {
            sendKeyUpdate(false); // this key has protected enough records
            return 0;
        }
        return Math.max(0, Math.min(maxPlaintext, room - TlsRecords.OVERHEAD));
    }

    /** Where the application writes up to {@link #maxPlaintext} bytes, at {@link #SEAL_OFFSET}. */
    public MutableDirectBuffer sealBuffer() {
        return ctx.sealBuffer();
    }

    /**
     * Protects the {@code length} bytes at {@link #SEAL_OFFSET} of {@link #sealBuffer()} as one
     * application_data record, in place.
     *
     * @return the record's length at offset 0 of {@link #sealBuffer()}: send all of it now
     */
    public int seal(int length) {
        if (length <= 0 || length > maxPlaintext || phase != OPEN || closeSent) {
            throw new IllegalStateException("seal(" + length + ") not allowed now");
        }
        byte[] b = ctx.sealArray();
        b[SEAL_OFFSET + length] = TlsRecords.APPLICATION_DATA;
        ctx.recordsOut++;
        return write.seal(b, 0, length + 1);
    }

    /**
     * Protects application bytes into the pending output, in records of at most the maximum
     * size (for callers that do not seal in place).
     */
    public void send(DirectBuffer src, int offset, int length) {
        if (phase != OPEN || closeSent) {
            throw new IllegalStateException("session not open");
        }
        while (length > 0) {
            int n = Math.min(length, maxPlaintext);
            ensureOut(n + TlsRecords.OVERHEAD);
            src.getBytes(offset, out, outEnd + TlsRecords.HEADER, n);
            out[outEnd + TlsRecords.HEADER + n] = TlsRecords.APPLICATION_DATA;
            outEnd += write.seal(out, outEnd, n + 1);
            ctx.recordsOut++;
            offset += n;
            length -= n;
        }
    }

    /**
     * Sends KeyUpdate and switches to the next write key (RFC 8446 4.6.3); with
     * {@code requestPeer} the client must update its key too.
     */
    public void requestKeyUpdate(boolean requestPeer) {
        if (phase == OPEN && !closeSent) {
            sendKeyUpdate(requestPeer);
        }
    }

    private void sendKeyUpdate(boolean requestPeer) {
        sendControl(TlsRecords.HANDSHAKE, TlsRecords.HANDSHAKE_KEY_UPDATE,
                requestPeer ? TlsRecords.UPDATE_REQUESTED : TlsRecords.UPDATE_NOT_REQUESTED);
        write.update();
        ctx.keyUpdatesSent++;
        ctx.keyLog().log("SERVER_TRAFFIC_SECRET_" + write.generation(), clientRandom, write.secret());
    }

    /** close_notify: nothing more is sent after it; close the transport once it is out. */
    public void close() {
        if (phase == OPEN && !closeSent) {
            sendControl(TlsRecords.ALERT, TlsRecords.ALERT_WARNING, TlsRecords.CLOSE_NOTIFY);
            closeSent = true;
        } else if (phase == HANDSHAKING) {
            phase = CLOSED;
            hs = null;
        }
    }

    /** A KeyUpdate (type 24, length 1, request) or an alert (level, description) as one record. */
    private void sendControl(byte contentType, byte a, byte b) {
        int body = contentType == TlsRecords.HANDSHAKE ? 5 : 2;
        ensureOut(body + TlsRecords.OVERHEAD);
        int p = outEnd + TlsRecords.HEADER;
        if (contentType == TlsRecords.HANDSHAKE) {
            out[p++] = a;
            out[p++] = 0;
            out[p++] = 0;
            out[p++] = 1;
            out[p++] = b;
        } else {
            out[p++] = a;
            out[p++] = b;
        }
        out[p] = contentType;
        outEnd += write.seal(out, outEnd, body + 1);
        ctx.recordsOut++;
    }

    private void ensureOut(int more) {
        if (out == null) {
            out = new byte[Math.max(4096, more)];
            outView.wrap(out);
        } else if (out.length - outEnd < more) {
            int live = outEnd - outStart;
            byte[] bigger = live + more <= out.length ? out : new byte[Math.max(2 * out.length, live + more)];
            System.arraycopy(out, outStart, bigger, 0, live);
            out = bigger;
            outView.wrap(out);
            outStart = 0;
            outEnd = live;
        }
    }

    /** Gives pooled memory back (the session migrated away or ended); the object is dead after. */
    public void release() {
        if (read != null) {
            ctx.giveCipher(suite, read.cipher());
            ctx.giveCipher(suite, write.cipher());
            read.cipher(null);
            write.cipher(null);
        }
        if (in != null) {
            ctx.giveBuffer(in);
            in = null;
            inView.wrap(NO_INPUT, 0, 0);
        }
        inStart = inEnd = plainOff = plainLen = 0;
        phase = CLOSED;
        hs = null;
    }

    // ------------------------------------------------------------------ snapshot

    /** Exact size of {@link #snapshot} now; -1 while handshaking (the handshake cannot move). */
    public int snapshotSize() {
        if (phase == HANDSHAKING) {
            return -1;
        }
        if (phase != OPEN) {
            return FIXED + TRAILER; // ended: the target only closes it
        }
        int h = suite.hashLength();
        int k = suite.keyLength();
        return FIXED + 2 * (h + k + TlsSuite.IV_LENGTH) + plainLen + (inEnd - inStart) + (outEnd - outStart) + TRAILER;
    }

    /**
     * Writes the session as a versioned, CRC32C-checked, big-endian value. Layout (offsets in
     * bytes):
     * <pre>
     *  0 int   magic "TLS3"         4 short version (1)      6 short flags: 1 close_notify
     *  8 int   total size                                       received, 2 close_notify sent
     * 12 byte  phase: 1 open, 2 ended                        13 byte handshake bytes held (0..4)
     * 14 short cipher suite (0x1301..0x1303)                 16 int max plaintext per record
     * 20 32B   client random                                 52 long read sequence number
     * 60 long  write sequence number                         68 int read generation (KeyUpdates)
     * 72 int   write generation                              76 4B the held handshake bytes
     * 80 int   P = plaintext bytes the application has not taken
     * 84 int   C = received bytes of records not opened yet (the last may be partial)
     * 88 int   O = record bytes not sent yet
     * 92       read secret, key, IV; write secret, key, IV; P; C; O bytes
     * end-4    CRC32C of everything before it
     * </pre>
     * Of an ended session (after a fatal alert) only the fixed part is written; the target
     * closes the connection.
     *
     * @return bytes written ({@link #snapshotSize()})
     */
    public int snapshot(MutableDirectBuffer dst, int offset) {
        int size = snapshotSize();
        if (size < 0) {
            throw new IllegalStateException("a TLS session cannot move during its handshake");
        }
        dst.setMemory(offset, FIXED, (byte) 0);
        dst.putInt(offset, MAGIC, BE);
        dst.putShort(offset + 4, VERSION, BE);
        dst.putShort(offset + 6, (short) ((peerClosed ? FLAG_PEER_CLOSED : 0) | (closeSent ? FLAG_CLOSE_SENT : 0)), BE);
        dst.putInt(offset + 8, size, BE);
        dst.putByte(offset + 12, (byte) phase);
        int p = offset + FIXED;
        if (phase == OPEN) {
            dst.putByte(offset + 13, (byte) hsLen);
            dst.putShort(offset + 14, (short) suite.code(), BE);
            dst.putInt(offset + 16, maxPlaintext, BE);
            dst.putBytes(offset + 20, clientRandom);
            dst.putLong(offset + 52, read.sequence(), BE);
            dst.putLong(offset + 60, write.sequence(), BE);
            dst.putInt(offset + 68, read.generation(), BE);
            dst.putInt(offset + 72, write.generation(), BE);
            dst.putBytes(offset + 76, hsMsg, 0, hsLen);
            dst.putInt(offset + 80, plainLen, BE);
            dst.putInt(offset + 84, inEnd - inStart, BE);
            dst.putInt(offset + 88, outEnd - outStart, BE);
            for (RecordProtection rp : new RecordProtection[] {read, write}) {
                dst.putBytes(p, rp.secret());
                p += rp.secret().length;
                dst.putBytes(p, rp.keyBytes());
                p += rp.keyBytes().length;
                dst.putBytes(p, rp.iv());
                p += TlsSuite.IV_LENGTH;
            }
            if (plainLen > 0) {
                dst.putBytes(p, in, plainOff, plainLen);
                p += plainLen;
            }
            if (inEnd > inStart) {
                dst.putBytes(p, in, inStart, inEnd - inStart);
                p += inEnd - inStart;
            }
            if (outEnd > outStart) {
                dst.putBytes(p, out, outStart, outEnd - outStart);
                p += outEnd - outStart;
            }
        }
        dst.putInt(p, BufferCrc.crc32c(dst, offset, p - offset), BE);
        return size;
    }

    /**
     * Continues a session from {@link #snapshot} bytes under this host's context. The result
     * sends and accepts exactly the records the original would have.
     *
     * @throws SnapshotException if the bytes are truncated, corrupt, of another version or
     *     inconsistent
     */
    public static TlsServerSession restore(TlsServerContext ctx, DirectBuffer src, int offset, int length)
            throws SnapshotException {
        if (length < FIXED + TRAILER) {
            throw new SnapshotException("TLS session snapshot truncated: " + length + " bytes");
        }
        if (src.getInt(offset, BE) != MAGIC) {
            throw new SnapshotException("not a TLS session snapshot (bad magic)");
        }
        int version = src.getShort(offset + 4, BE);
        if (version != VERSION) {
            throw new SnapshotException("TLS session snapshot version " + version + ", expected " + VERSION);
        }
        int size = src.getInt(offset + 8, BE);
        if (size < FIXED + TRAILER || size > length) {
            throw new SnapshotException("TLS session snapshot truncated: size " + size + ", have " + length);
        }
        if (BufferCrc.crc32c(src, offset, size - TRAILER) != src.getInt(offset + size - TRAILER, BE)) {
            throw new SnapshotException("TLS session snapshot corrupt (CRC32C mismatch)");
        }
        int flags = src.getShort(offset + 6, BE);
        int phase = src.getByte(offset + 12);
        check((flags & ~(FLAG_PEER_CLOSED | FLAG_CLOSE_SENT)) == 0, "unknown flags");
        TlsServerSession s = new TlsServerSession(ctx);
        s.peerClosed = (flags & FLAG_PEER_CLOSED) != 0;
        s.closeSent = (flags & FLAG_CLOSE_SENT) != 0;
        if (phase == CLOSED) {
            check(size == FIXED + TRAILER, "bad size");
            s.phase = CLOSED;
            return s;
        }
        check(phase == OPEN, "bad phase " + phase);
        TlsSuite suite = TlsSuite.byCode(src.getShort(offset + 14, BE) & 0xFFFF);
        check(suite != null, "unknown cipher suite");
        int held = src.getByte(offset + 13);
        int maxPlain = src.getInt(offset + 16, BE);
        long readSeq = src.getLong(offset + 52, BE);
        long writeSeq = src.getLong(offset + 60, BE);
        int readGen = src.getInt(offset + 68, BE);
        int writeGen = src.getInt(offset + 72, BE);
        int plain = src.getInt(offset + 80, BE);
        int cipherIn = src.getInt(offset + 84, BE);
        int pendingOut = src.getInt(offset + 88, BE);
        check(held >= 0 && held <= 4, "bad held handshake bytes");
        check(maxPlain >= 512 && maxPlain <= TlsRecords.MAX_PLAINTEXT, "bad record size limit");
        check(readGen >= 0 && writeGen >= 0, "bad generations");
        check(plain >= 0 && plain <= TlsRecords.MAX_PLAINTEXT + 1 && cipherIn >= 0 && pendingOut >= 0
                && (long) plain + cipherIn <= 2L * TlsRecords.MAX_RECORD, "bad buffered lengths");
        int keys = 2 * (suite.hashLength() + suite.keyLength() + TlsSuite.IV_LENGTH);
        check((long) size == (long) FIXED + keys + plain + cipherIn + pendingOut + TRAILER, "bad size");
        check(!s.peerClosed || (plain == 0 && cipherIn == 0), "bytes after close_notify");
        s.suite = suite;
        s.maxPlaintext = maxPlain;
        s.clientRandom = new byte[32];
        src.getBytes(offset + 20, s.clientRandom);
        s.hsLen = held;
        src.getBytes(offset + 76, s.hsMsg, 0, held);
        byte[] k = new byte[keys];
        src.getBytes(offset + FIXED, k);
        int h = suite.hashLength();
        int kl = suite.keyLength();
        s.read = new RecordProtection(suite);
        s.write = new RecordProtection(suite);
        s.read.restore(k, 0, h, h + kl, readSeq, readGen);
        int w = h + kl + TlsSuite.IV_LENGTH;
        s.write.restore(k, w, w + h, w + h + kl, writeSeq, writeGen);
        int p = offset + FIXED + keys;
        if (plain + cipherIn > 0) {
            s.in = ctx.takeBuffer();
            s.inView.wrap(s.in);
            src.getBytes(p, s.in, 0, plain + cipherIn);
            p += plain + cipherIn;
            s.plainOff = 0;
            s.plainLen = plain;
            s.inStart = plain;
            s.inEnd = plain + cipherIn;
        }
        if (pendingOut > 0) {
            s.ensureOut(pendingOut);
            src.getBytes(p, s.out, 0, pendingOut);
            s.outEnd = pendingOut;
        }
        s.read.cipher(ctx.takeCipher(suite));
        s.write.cipher(ctx.takeCipher(suite));
        s.phase = OPEN;
        ctx.sessionsRestored++;
        return s;
    }

    /**
     * After a restore: opens the records that arrived whole with the state (the origin had not
     * opened them because the application was full).
     */
    public void resume() {
        process();
    }

    private static void check(boolean ok, String what) throws SnapshotException {
        if (!ok) {
            throw new SnapshotException("TLS session snapshot invalid: " + what);
        }
    }
}
