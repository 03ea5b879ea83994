package io.capybara.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capybara.tcp.TcpConfig;
import io.capybara.wire.TcpSegment;
import org.junit.jupiter.api.Test;

/** The cookie keeps what it must (MSS, and with timestamps window scale and SACK) and nothing forges it. */
class SynCookiesTest {
    static final long PERIOD = 1L << 36;

    static TcpSegment syn(boolean timestamps) {
        TcpSegment s = new TcpSegment().clear();
        s.srcIp = 0x0A000002;
        s.dstIp = 0x0A000001;
        s.srcPort = 40000;
        s.dstPort = 80;
        s.seq = 0x12345678;
        s.flags = TcpSegment.SYN;
        s.window = 64240;
        s.mss = 1400; // rounds down to 1380 in the table
        s.windowScale = 9;
        s.sackPermitted = true;
        s.hasTimestamps = timestamps;
        s.tsVal = 777;
        return s;
    }

    static TcpSegment ackOf(TcpSegment syn, TcpSegment synAck) {
        TcpSegment a = new TcpSegment().clear();
        a.srcIp = syn.srcIp;
        a.dstIp = syn.dstIp;
        a.srcPort = syn.srcPort;
        a.dstPort = syn.dstPort;
        a.seq = syn.seq + 1;
        a.ack = synAck.seq + 1;
        a.flags = TcpSegment.ACK;
        a.window = 502;
        a.hasTimestamps = synAck.hasTimestamps;
        a.tsVal = 778;
        a.tsEcr = synAck.tsVal;
        return a;
    }

    @Test
    void withTimestampsTheCookieCarriesMssWindowScaleAndSack() {
        SynCookies c = new SynCookies(42, TcpConfig.defaults());
        TcpSegment syn = syn(true);
        TcpSegment synAck = new TcpSegment();
        long now = 5 * PERIOD + 123_456_789L;
        c.fillSynAck(syn, now, synAck);
        assertEquals(TcpSegment.SYN | TcpSegment.ACK, synAck.flags);
        assertEquals(syn.seq + 1, synAck.ack);
        assertTrue(synAck.windowScale >= 0 && synAck.sackPermitted && synAck.hasTimestamps);
        assertEquals(777, synAck.tsEcr);
        TcpSegment back = new TcpSegment();
        assertTrue(c.check(ackOf(syn, synAck), now + PERIOD, back), "valid through the next period");
        assertEquals(syn.seq, back.seq);
        assertEquals(1380, back.mss);
        assertEquals(9, back.windowScale);
        assertTrue(back.sackPermitted);
        assertFalse(c.check(ackOf(syn, synAck), now + 2 * PERIOD, new TcpSegment()), "expired");
    }

    @Test
    void theSynAckTimestampIsNeverAheadOfTheConnectionsClock() {
        // else the client's PAWS drops the connection's first segments (found by SynFloodTest)
        SynCookies c = new SynCookies(7, TcpConfig.defaults());
        TcpSegment synAck = new TcpSegment();
        for (long now = 0; now < 200_000; now += 1_000) {
            c.fillSynAck(syn(true), now, synAck);
            int clock = (int) (now / 1000) + synAck.seq;
            assertTrue(synAck.tsVal - clock <= 0 && clock - synAck.tsVal < 128, now + ": " + synAck.tsVal + " vs " + clock);
        }
    }

    @Test
    void withoutTimestampsNeitherScaleNorSackIsOffered() {
        SynCookies c = new SynCookies(42, TcpConfig.defaults());
        TcpSegment syn = syn(false);
        TcpSegment synAck = new TcpSegment();
        c.fillSynAck(syn, 1000, synAck);
        assertEquals(TcpSegment.ABSENT, synAck.windowScale);
        assertFalse(synAck.sackPermitted);
        TcpSegment back = new TcpSegment();
        assertTrue(c.check(ackOf(syn, synAck), 2000, back));
        assertEquals(TcpSegment.ABSENT, back.windowScale);
        assertFalse(back.sackPermitted);
    }

    @Test
    void anotherSecretAnotherTupleOrAnotherClientIsnDoNotVerify() {
        SynCookies c = new SynCookies(42, TcpConfig.defaults());
        TcpSegment syn = syn(true);
        TcpSegment synAck = new TcpSegment();
        c.fillSynAck(syn, 1000, synAck);
        assertFalse(new SynCookies(43, TcpConfig.defaults()).check(ackOf(syn, synAck), 1000, new TcpSegment()));
        TcpSegment otherPort = ackOf(syn, synAck);
        otherPort.srcPort++;
        assertFalse(c.check(otherPort, 1000, new TcpSegment()));
        TcpSegment otherIsn = ackOf(syn, synAck);
        otherIsn.seq++;
        assertFalse(c.check(otherIsn, 1000, new TcpSegment()));
        int accepted = 0;
        for (int guess = 0; guess < 100_000; guess++) { // blind guesses: 1 in 2^24 each
            TcpSegment a = ackOf(syn, synAck);
            a.ack = guess * 40_503 + 1;
            accepted += c.check(a, 1000, new TcpSegment()) ? 1 : 0;
        }
        assertTrue(accepted <= 1, "guessed cookies: " + accepted);
    }
}
