package io.capybara.bench;

import io.capybara.tcp.BufferPool;
import io.capybara.tcp.SegmentSink;
import io.capybara.tcp.SnapshotException;
import io.capybara.tcp.TcpConfig;
import io.capybara.tcp.TcpConnection;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The migration hot path: snapshot and restore of an established connection with empty
 * buffers and with {@code queued} bytes waiting each way (unacknowledged in the send buffer,
 * unread in the receive buffer).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SnapshotBench extends JmhDefaults {
    @Param({"0", "4096"})
    public int queued;

    private static final SegmentSink NO_OP = (c, s) -> { };

    private final BufferPool pool = new BufferPool(4);
    private TcpConnection connection;
    private UnsafeBuffer buffer;
    private int length;
    private long now;

    @Setup(Level.Trial)
    public void setup() {
        BenchPair p = new BenchPair(TcpConfig.defaults());
        if (queued > 0) {
            UnsafeBuffer data = BenchPair.buffer(queued);
            p.b.send(data, 0, queued, p.now); // B -> A delivered: unread at A
            p.now += 10_000;
            p.bToA.deliverAll(p.a, p.now);
            p.aToB.clear(); // A's ACKs for it: never mind
            p.a.send(data, 0, queued, p.now); // A -> B lost: unacknowledged at A
            p.aToB.clear();
        }
        connection = p.a;
        now = p.now;
        if (connection.readableBytes() != queued || connection.unacknowledgedBytes() != queued) {
            throw new IllegalStateException("setup: " + connection);
        }
        buffer = new UnsafeBuffer(new byte[connection.snapshotSize()]);
        length = connection.snapshot(buffer, 0, now);
    }

    @Benchmark
    public int snapshot() {
        return connection.snapshot(buffer, 0, now);
    }

    /** As TCPMig takes it: the CONN_STATE body carries a CRC32C over the whole state instead. */
    @Benchmark
    public int snapshotUnchecked() {
        return connection.snapshot(buffer, 0, now, false);
    }

    @Benchmark
    public TcpConnection restore() throws SnapshotException {
        return TcpConnection.restore(buffer, 0, length, now, NO_OP);
    }

    /**
     * As a migration target does it: no CRC pass (the fragments were checked), rings from the
     * host's pool, and the connection's rings back to the pool when it leaves again.
     */
    @Benchmark
    public TcpConnection restorePooled() throws SnapshotException {
        TcpConnection c = TcpConnection.restore(buffer, 0, length, now, NO_OP, false, pool);
        c.recycle(pool);
        return c;
    }
}
