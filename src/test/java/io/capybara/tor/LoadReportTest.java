package io.capybara.tor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capybara.wire.DecodedFrame;
import io.capybara.wire.TcpMigHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * A heartbeat that asks for the rack's loads (HEARTBEAT_WANTS_LOADS) is answered in place: the
 * same message back to its sender from the switch, flagged HEARTBEAT_LOADS, naming the least
 * loaded other live server that is not draining, and its load.
 */
class LoadReportTest extends SwitchRig {
    /** A heartbeat from server {@code port} at {@code ip} with {@code load} and {@code flags}. */
    void beat(int port, int ip, long load, int flags) {
        byte[] f = control(TcpMigHeader.HEARTBEAT, ip, SWITCH_IP, ip, 0, load, 0, 0);
        DecodedFrame d = decode(f);
        new TcpMigHeader().wrap(new UnsafeBuffer(f), d.udpPayloadOffset).reason(flags).seal();
        inject(port, f);
    }

    /** A asks; returns the answer's (server named, load). */
    long[] askFromA(long ownLoad) {
        clearSent();
        beat(0, A, ownLoad, TcpMigHeader.HEARTBEAT_WANTS_LOADS);
        assertEquals(1, ports[0].sent.size(), "one answer, to the asker only");
        assertEquals(0, ports[1].sent.size() + ports[2].sent.size() + ports[3].sent.size());
        byte[] f = ports[0].sent.get(0);
        DecodedFrame d = decode(f);
        assertEquals(SWITCH_IP, d.srcIp);
        assertEquals(A, d.dstIp);
        assertEquals(SWITCH_MAC, d.srcMac);
        assertEquals(MAC_A, d.dstMac);
        TcpMigHeader h = mig(f);
        assertEquals(TcpMigHeader.HEARTBEAT, h.type());
        assertEquals(TcpMigHeader.HEARTBEAT_LOADS, h.reason());
        return new long[] {h.targetIp(), h.value()};
    }

    @Test
    void theAnswerNamesTheLeastLoadedOtherServer() {
        heartbeats(500, 300, 200);
        assertEquals(0, sw.counter(SwitchCounter.LOADS_REPORTED), "plain heartbeats get no answer");
        assertEquals(0, ports[0].sent.size() + ports[1].sent.size() + ports[2].sent.size());
        long[] r = askFromA(100);
        assertEquals(C, (int) r[0], "the asker itself, though lightest, is not named");
        assertEquals(200, r[1]);
        assertEquals(1, sw.counter(SwitchCounter.LOADS_REPORTED));
        beat(2, C, 300, 0); // a tie: the lower index wins
        assertEquals(B, (int) askFromA(100)[0]);
        beat(1, B, 300, TcpMigHeader.HEARTBEAT_DRAINING);
        assertEquals(C, (int) askFromA(100)[0], "a draining server is no target");
    }

    @Test
    void withNoOtherServerItSaysNoneAndALoadTooLargeIsCapped() {
        heartbeats(500, TcpMigHeader.NO_LOAD, TcpMigHeader.NO_LOAD); // the field's largest value
        long[] capped = askFromA(1);
        assertEquals(TcpMigHeader.NO_LOAD - 1, capped[1], "NO_LOAD means none: a real load stays below it");
        beat(1, B, 1, TcpMigHeader.HEARTBEAT_DRAINING);
        beat(2, C, 1, TcpMigHeader.HEARTBEAT_DRAINING);
        long[] none = askFromA(1);
        assertEquals(0, none[0]);
        assertEquals(TcpMigHeader.NO_LOAD, none[1]);
    }
}
