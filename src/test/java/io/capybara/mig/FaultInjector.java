package io.capybara.mig;

import io.capybara.io.FrameChannel;
import io.capybara.io.ForwardingChannel;
import io.capybara.io.FrameHandler;
import io.capybara.io.Node;
import io.capybara.sim.Simulator;
import io.capybara.wire.TcpMigHeader;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Targeted faults on TCPMig messages: drops, duplicates or delays the k-th message of one type
 * where it is received (at the switch, before it acts on it, or at a server, after the switch
 * did). It wraps the receiving side of every port of a {@link MiniRack} and counts what it saw
 * and what it did, so a test can assert that its fault really happened.
 */
final class FaultInjector implements Node {
    enum Action { DROP, DUPLICATE, DELAY, LATE_COPY }

    enum Where { SWITCH, SERVER }

    /** The k-th (from 1) message of {@code type} received at {@code where} gets {@code action}. */
    record Rule(int type, int k, Action action, Where where, long delayNanos) {
    }

    private final Simulator sim;
    private final List<Rule> rules = new ArrayList<>();
    private final long[][] seen = new long[Where.values().length][TcpMigHeader.MAX_TYPE + 1];
    private final long[][] injected = new long[Action.values().length][TcpMigHeader.MAX_TYPE + 1];
    private final List<Held> held = new ArrayList<>();
    private final TcpMigHeader header = new TcpMigHeader();

    private record Held(long releaseAt, Port port, UnsafeBuffer frame) {
    }

    FaultInjector(Simulator sim) {
        this.sim = sim;
    }

    void add(Rule rule) {
        rules.add(rule);
    }

    /** How many times {@code action} was applied to a message of {@code type}. */
    long injected(Action action, int type) {
        return injected[action.ordinal()][type];
    }

    long seen(Where where, int type) {
        return seen[where.ordinal()][type];
    }

    FrameChannel wrap(FrameChannel inner, Where where) {
        return new Port(inner, where);
    }

    @Override
    public int poll(long nowNanos) {
        return 0; // held frames are handed over by their port's poll; this node only wakes the simulator
    }

    @Override
    public long nextDeadline() {
        long next = Long.MAX_VALUE;
        for (Held h : held) {
            next = Math.min(next, h.releaseAt());
        }
        return next;
    }

    /** The TCPMig type of an Ethernet frame, or 0 if it is not a (well-formed) TCPMig message. */
    int migType(DirectBuffer b, int off, int len) {
        if (!header.wrapFrame(b, off, len) || header.magic() != TcpMigHeader.MAGIC) {
            return 0;
        }
        int t = header.type();
        return t >= 1 && t <= TcpMigHeader.MAX_TYPE ? t : 0;
    }

    private final class Port extends ForwardingChannel {
        final Where where;

        Port(FrameChannel inner, Where where) {
            super(inner);
            this.where = where;
        }

        @Override
        public int poll(FrameHandler handler, int limit) {
            int n = 0;
            long now = sim.now();
            for (int i = 0; i < held.size() && n < limit; i++) {
                Held h = held.get(i);
                if (h.port() == this && h.releaseAt() <= now) {
                    held.remove(i--);
                    handler.onFrame(h.frame(), 0, h.frame().capacity());
                    n++;
                }
            }
            if (n >= limit) {
                return n;
            }
            return n + inner.poll((buf, off, len) -> deliver(handler, buf, off, len), limit - n);
        }

        private void deliver(FrameHandler handler, MutableDirectBuffer buf, int off, int len) {
            int type = migType(buf, off, len);
            if (type != 0) {
                long k = ++seen[where.ordinal()][type];
                for (Rule r : rules) {
                    if (r.type() == type && r.k() == k && r.where() == where) {
                        injected[r.action().ordinal()][type]++;
                        switch (r.action()) {
                            case DROP -> {
                                return;
                            }
                            case DUPLICATE -> handler.onFrame(buf, off, len); // and the original below
                            case DELAY, LATE_COPY -> {
                                UnsafeBuffer copy = new UnsafeBuffer(new byte[len]);
                                copy.putBytes(0, buf, off, len);
                                held.add(new Held(sim.now() + r.delayNanos(), this, copy));
                                if (r.action() == Action.DELAY) {
                                    return;
                                }
                            }
                        }
                    }
                }
            }
            handler.onFrame(buf, off, len);
        }
    }
}
