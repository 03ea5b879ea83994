package io.capybara.bench;

import io.capybara.tcp.TcpConfig;
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
 * In-memory echo between two connections on one thread: the client sends a {@code size}-byte
 * message, the server reads and echoes it, the client reads the echo. One op = one round trip;
 * read the throughput as round trips per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EchoBench extends JmhDefaults {
    @Param({"64", "1024"})
    public int size;

    private BenchPair pair;
    private UnsafeBuffer message;
    private final UnsafeBuffer serverBuf = new UnsafeBuffer(new byte[64 * 1024]);
    private final UnsafeBuffer clientBuf = new UnsafeBuffer(new byte[64 * 1024]);

    @Setup(Level.Trial)
    public void setup() {
        pair = new BenchPair(TcpConfig.defaults());
        message = BenchPair.buffer(size);
    }

    @Benchmark
    public int roundTrip() {
        BenchPair p = pair;
        p.now += 1_000;
        p.a.send(message, 0, size, p.now);
        p.aToB.deliverAll(p.b, p.now);
        int got = 0;
        while (got < size) {
            int n = p.b.receive(serverBuf, 0, serverBuf.capacity(), p.now);
            if (n == 0) {
                throw new IllegalStateException("server got " + got + " of " + size);
            }
            p.b.send(serverBuf, 0, n, p.now);
            got += n;
        }
        p.bToA.deliverAll(p.a, p.now);
        int echoed = 0;
        while (echoed < size) {
            int n = p.a.receive(clientBuf, 0, clientBuf.capacity(), p.now);
            if (n == 0) {
                throw new IllegalStateException("client got " + echoed + " of " + size);
            }
            echoed += n;
        }
        p.aToB.deliverAll(p.b, p.now); // window updates, if any
        p.timers();
        return echoed;
    }
}
