package io.capybara.mig;

import static io.capybara.mig.LoneEngine.CLIENT;
import static io.capybara.mig.LoneEngine.CLIENT_PORT;
import static io.capybara.mig.LoneEngine.OTHER;
import static io.capybara.mig.LoneEngine.SELF;
import static io.capybara.mig.LoneEngine.SERVER_PORT;
import static io.capybara.mig.LoneEngine.SWITCH;
import static io.capybara.wire.TcpMigHeader.PREPARE_MIG;
import static io.capybara.wire.TcpMigHeader.REJECT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capybara.tcp.TcpConnection;
import io.capybara.wire.TcpMigHeader;
import io.capybara.wire.TcpSegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shedding policy on a lone engine with two client connections, a load the test sets and
 * traffic it sends: which connection goes, when the policy looks, and what it remembers.
 */
class EnginePolicyTest {
    static final long INTERVAL = 100_000;
    static final long HIGH = 10;
    static final long LOW = 5;

    /** A connection the policy sent is not sent again for five looks. */
    static final long COOLDOWN = 5 * INTERVAL;

    final OriginMessagesTest.Side o = new OriginMessagesTest.Side(OriginMessagesTest.CONFIG.withPolicy(INTERVAL, HIGH,
            LOW, COOLDOWN));
    long load;
    /** The client's next sequence number on connections a and b. */
    final int[] seq = {1001, 1001};
    final int[] serverSeq = new int[2];
    final TcpConnection[] conns = new TcpConnection[2];

    EnginePolicyTest() {
        o.lone.engine.loadMetric(() -> load);
        for (int i = 0; i < 2; i++) {
            conns[i] = o.accept(CLIENT_PORT + i);
            serverSeq[i] = o.serverSeq;
        }
        assertEquals(0, o.at(0), "the first look is at once: nothing to shed");
        assertEquals(List.of(), o.sent());
    }

    /** The client of connection {@code i} sends {@code n} bytes. */
    void traffic(int i, int n) {
        o.feed(OriginMessagesTest.client(CLIENT_PORT + i, TcpSegment.ACK, seq[i], serverSeq[i], new byte[n]));
        seq[i] += n;
    }

    /** The policy's k-th look (at k intervals); returns the port of the connection it began to move, or 0. */
    int look(int k) {
        o.at(k * INTERVAL);
        List<LoneEngine.Sent> begun = o.sent().stream().filter(s -> s.id() > lastId).toList(); // (not resends)
        if (begun.isEmpty()) {
            return 0;
        }
        assertEquals(1, begun.size());
        LoneEngine.Sent p = begun.get(0);
        lastId = p.id();
        assertEquals(new LoneEngine.Sent(SWITCH, PREPARE_MIG, 0, p.id(), CLIENT, p.clientPort(), SERVER_PORT, SELF, 0,
                SELF), p);
        return p.clientPort();
    }

    private int lastId;

    @Test
    void itShedsTheConnectionWithTheMostTrafficSinceItsLastLookAtTheLookItself() {
        traffic(0, 1000);
        traffic(1, 100);
        assertEquals(0, look(1), "under the high mark: it only takes note");
        traffic(0, 100);
        traffic(1, 500);
        load = HIGH + 1;
        o.at(2 * INTERVAL - 1);
        assertEquals(List.of(), o.sent(), "not before the interval is over");
        assertEquals(CLIENT_PORT + 1, look(2), "b sent more since the last look, though a sent more in all");
        assertEquals(1, o.counter(MigCounter.POLICY_DECISIONS));
    }

    @Test
    void aTieGoesToTheConnectionThatWasBusyFirst() {
        traffic(1, 300);
        traffic(0, 300);
        load = HIGH + 1;
        assertEquals(CLIENT_PORT + 1, look(1));
    }

    @Test
    void sheddingStopsOnlyBelowTheLowMark() {
        load = HIGH + 1;
        traffic(0, 100);
        assertEquals(CLIENT_PORT, look(1));
        load = LOW; // between the marks: it goes on shedding
        traffic(1, 100);
        assertEquals(CLIENT_PORT + 1, look(2));
    }

    /** Every 256 looks the traffic counts are forgotten (closed connections' too): a look then sees totals. */
    @Test
    void every256LooksItForgetsWhatItSawBefore() {
        traffic(0, 1000);
        traffic(1, 100);
        assertEquals(0, look(1));
        for (int k = 2; k < 255; k++) {
            assertEquals(0, look(k));
        }
        traffic(0, 10);
        traffic(1, 50);
        load = HIGH + 1;
        assertEquals(CLIENT_PORT, look(255), "the 256th look (the first was at 0) counts a's 1010 bytes against b's 150");
    }

    /** A connection whose move was refused may go again from the last nanosecond of its cool-down on. */
    @Test
    void aRefusedConnectionCoolsDownThenMayGoAgain() {
        load = HIGH + 1;
        traffic(0, 100);
        assertEquals(CLIENT_PORT, look(1));
        o.answer(REJECT, TcpMigHeader.REASON_TARGET_BUSY, lastId, CLIENT_PORT, OTHER);
        traffic(0, 100);
        assertEquals(CLIENT_PORT + 1, look(2), "a is cooling down: the idle one goes");
        o.answer(REJECT, TcpMigHeader.REASON_TARGET_BUSY, lastId, CLIENT_PORT + 1, OTHER);
        for (int k = 3; k < 6; k++) {
            traffic(0, 100);
            assertEquals(0, look(k), "both cooling down");
        }
        traffic(0, 100);
        assertEquals(CLIENT_PORT, look(6), "a's cool-down ends now");
    }
}
