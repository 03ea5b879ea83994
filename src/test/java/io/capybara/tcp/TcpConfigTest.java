package io.capybara.tcp;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** What a connection accepts as its configuration: every limit holds at its edge and fails one past it. */
class TcpConfigTest {
    /** The numeric fields in record order, from the defaults; an edit changes one, then the record is built. */
    static TcpConfig edited(Consumer<long[]> edit) {
        TcpConfig d = TcpConfig.defaults();
        long[] v = {d.mss(), d.sendBufferBytes(), d.receiveBufferBytes(), d.windowScale(), d.delayedAckNanos(),
            d.initialRtoNanos(), d.minRtoNanos(), d.maxRtoNanos(), d.maxRetransmissions(), d.timeWaitNanos(),
            d.maxOutOfOrderSegments(), d.finWait2Nanos()};
        edit.accept(v);
        return new TcpConfig((int) v[0], (int) v[1], (int) v[2], (int) v[3], true, true, false, v[4], v[5], v[6], v[7],
                (int) v[8], v[9], (int) v[10], v[11], TcpConfig.Congestion.CUBIC);
    }

    static void edge(int field, long ok, long bad) {
        assertDoesNotThrow(() -> edited(v -> v[field] = ok).check(), "field " + field + " = " + ok);
        assertThrows(IllegalArgumentException.class, () -> edited(v -> v[field] = bad).check(),
                "field " + field + " = " + bad);
    }

    @Test
    void everyLimitHoldsAtItsEdgeAndFailsOnePastIt() {
        edge(0, TcpConnection.MIN_MSS, TcpConnection.MIN_MSS - 1);
        edge(0, 65535, 65536);
        for (int buffer : new int[] {1, 2}) {
            edge(buffer, 1, 0);
            edge(buffer, TcpConnection.MAX_BUFFER, TcpConnection.MAX_BUFFER + 1L);
        }
        edge(3, TcpConnection.MAX_WINDOW_SHIFT, TcpConnection.MAX_WINDOW_SHIFT + 1);
        edge(4, 0, -1); // delayed ACK
        edge(5, 1, 0); // initial RTO
        edge(6, 1, 0); // minimum RTO
        edge(8, 0, -1); // retransmissions
        edge(9, 0, -1); // TIME_WAIT
        edge(10, 0, -1); // out-of-order intervals
        edge(10, TcpConnection.MAX_OOO_INTERVALS, TcpConnection.MAX_OOO_INTERVALS + 1);
        edge(11, 0, -1); // FIN_WAIT_2 limit
        long min = TcpConfig.defaults().minRtoNanos();
        edge(7, min, min - 1); // the maximum RTO is at least the minimum
    }
}
