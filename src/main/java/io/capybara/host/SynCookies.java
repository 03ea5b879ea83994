package io.capybara.host;

import io.capybara.tcp.IsnGenerator;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import io.capybara.wire.TcpSegment;

/**
 * SYN cookies (RFC 4987 3.6): when a listener's embryonic connections reach their bound, the
 * SYN-ACK's sequence number carries the connection instead of memory, and the client's ACK
 * brings it back. The 32-bit cookie is a 5-bit time counter (64-second periods of the time
 * passed in), a 3-bit index into a table of MSS values (the largest not above the client's),
 * and 24 bits of SipHash-2-4 keyed with a secret, over the four-tuple, the client's initial
 * sequence number, the counter and the MSS index. An ACK is valid for two periods.
 *
 * <p>With timestamps the SYN-ACK's TSval also carries, in its low 6 bits, the client's window
 * scale (4 bits; 15 = none) and SACK-permitted (bit 4), as Linux does; the ACK echoes it in
 * TSecr. Without timestamps the SYN-ACK offers neither (both ends then agree on none).
 *
 * <p>The secret is an input (derived from the host's seed), never a clock or a random source.
 * Nothing here allocates.
 */
final class SynCookies {
    /** MSS values a cookie can name (3 bits). */
    static final int[] MSS = {216, 536, 1200, 1300, 1380, 1440, 1460, 8960};
    private static final int COUNTER_SHIFT = 36; // 2^36 ns: about 69 s per period
    private static final int NO_SCALE = 0xF;

    private final long k0;
    private final long k1;
    private final TcpConfig tcp;
    /** What this host's stack offers in a SYN-ACK, found once by asking a connection. */
    private final int offeredScale;
    private final int offeredWindow;

    SynCookies(long secret, TcpConfig tcp) {
        this.k0 = secret;
        this.k1 = Long.rotateLeft(secret * 0x9E3779B97F4A7C15L, 31) ^ 0xC2B2AE3D27D4EB4FL;
        this.tcp = tcp;
        // the same window and scale a stateful accept would offer, from a connection's own answer
        TcpSegment syn = new TcpSegment().clear();
        syn.flags = TcpSegment.SYN;
        syn.window = 65535;
        syn.mss = 1460;
        syn.windowScale = 7;
        syn.sackPermitted = true;
        syn.hasTimestamps = true;
        TcpSegment[] answer = {null};
        TcpConnection.accept(tcp, syn, 1, 0, (c, s) -> answer[0] = s);
        this.offeredScale = answer[0] == null ? TcpSegment.ABSENT : answer[0].windowScale;
        this.offeredWindow = answer[0] == null ? Math.min(65535, tcp.receiveBufferBytes()) : answer[0].window;
    }

    static int mssIndex(int mss) {
        int m = mss == TcpSegment.ABSENT ? 536 : mss;
        for (int i = MSS.length - 1; i > 0; i--) {
            if (MSS[i] <= m) {
                return i;
            }
        }
        return 0;
    }

    private int mac(TcpSegment s, int clientIsn, int counter, int mssIndex) {
        long tuple = (long) s.srcIp << 32 | (s.dstIp & 0xFFFF_FFFFL);
        long rest = (long) clientIsn << 32 | (long) (s.srcPort & 0xFFFF) << 16 | (s.dstPort & 0xFFFF);
        long h = IsnGenerator.sipHash24(k0, k1 ^ ((long) counter << 3 | mssIndex), tuple, rest);
        return (int) (h ^ (h >>> 32)) & 0xFF_FFFF;
    }

    private static int counter(long nowNanos) {
        return (int) (nowNanos >>> COUNTER_SHIFT) & 31;
    }

    /**
     * Fills {@code out} with the stateless SYN-ACK answering {@code syn} (addressed to us).
     */
    void fillSynAck(TcpSegment syn, long nowNanos, TcpSegment out) {
        int mssIndex = mssIndex(syn.mss);
        int counter = counter(nowNanos);
        int cookie = counter << 27 | mssIndex << 24 | mac(syn, syn.seq, counter, mssIndex);
        out.clear().between(syn.dstIp, syn.dstPort, syn.srcIp, syn.srcPort);
        out.seq = cookie;
        out.ack = syn.seq + 1;
        out.flags = TcpSegment.SYN | TcpSegment.ACK;
        out.window = offeredWindow;
        out.mss = tcp.mss();
        boolean ts = tcp.timestamps() && syn.hasTimestamps;
        if (ts) {
            boolean scale = syn.windowScale != TcpSegment.ABSENT && offeredScale != TcpSegment.ABSENT;
            boolean sack = syn.sackPermitted && tcp.sackPermitted();
            out.windowScale = scale ? offeredScale : TcpSegment.ABSENT;
            out.sackPermitted = sack;
            out.hasTimestamps = true;
            int options = (scale ? Math.min(syn.windowScale, 14) : NO_SCALE) | (sack ? 0x10 : 0);
            // the TS clock the connection will have (offset = its ISS, the cookie), low bits replaced
            int clock = (int) (nowNanos / 1000L) + cookie;
            int tsVal = (clock & ~0x3F) | options;
            if (tsVal - clock > 0) {
                // never ahead of the connection's clock: the client's PAWS would drop our next
                // segments as older than this one (Linux steps back one 64-tick period too)
                tsVal -= 0x40;
            }
            out.tsVal = tsVal;
            out.tsEcr = syn.tsVal;
        }
    }

    /**
     * Checks the ACK of a cookie SYN-ACK and, if valid, fills {@code syn} with the SYN it
     * answered as far as the cookie kept it (sequence number, MSS, and with timestamps the
     * window scale and SACK-permitted).
     *
     * @return false, with {@code syn} untouched, if the ACK carries no valid cookie
     */
    boolean check(TcpSegment ack, long nowNanos, TcpSegment syn) {
        if (!ack.has(TcpSegment.ACK) || ack.has(TcpSegment.SYN) || ack.has(TcpSegment.RST)) {
            return false;
        }
        int cookie = ack.ack - 1;
        int clientIsn = ack.seq - 1;
        int counter = cookie >>> 27;
        int mssIndex = (cookie >>> 24) & 7;
        int current = counter(nowNanos);
        if (counter != current && counter != ((current - 1) & 31)) {
            return false; // expired (or forged)
        }
        if (mac(ack, clientIsn, counter, mssIndex) != (cookie & 0xFF_FFFF)) {
            return false;
        }
        syn.clear().between(ack.srcIp, ack.srcPort, ack.dstIp, ack.dstPort);
        syn.seq = clientIsn;
        syn.flags = TcpSegment.SYN;
        syn.window = Math.min(ack.window, 65535);
        syn.mss = MSS[mssIndex];
        if (ack.hasTimestamps && tcp.timestamps()) {
            int options = ack.tsEcr & 0x3F;
            int scale = options & 0xF;
            syn.windowScale = scale == NO_SCALE ? TcpSegment.ABSENT : scale;
            syn.sackPermitted = (options & 0x10) != 0;
            syn.hasTimestamps = true;
            syn.tsVal = ack.tsVal;
        }
        return true;
    }

    /** The ISS a valid {@link #check} found: the cookie. */
    static int iss(TcpSegment ack) {
        return ack.ack - 1;
    }
}
