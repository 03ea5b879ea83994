package io.capybara.sim;

import io.capybara.io.FrameChannel;
import io.capybara.io.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.agrona.DirectBuffer;

/**
 * A deterministic, single-threaded discrete-event simulator. It owns a {@link VirtualClock},
 * the {@link Node}s and the {@link SimLink}s between them. One step: let everything due now
 * happen (deliver due frames, poll every node, repeat until nobody does any work), then jump
 * the clock to the earliest next event (a frame delivery or a node deadline). The same seed and
 * the same setup give the same run, bit for bit, which {@link #traceHash()} makes checkable.
 */
public final class Simulator {
    /** A node that keeps reporting work at one instant this many rounds is livelocked. */
    private static final int MAX_ROUNDS_PER_INSTANT = 1_000_000;

    private final VirtualClock clock;
    private final SplittableRandom seeds;
    private final List<Node> nodes = new ArrayList<>();
    private final List<SimLink> links = new ArrayList<>();
    private Node[] nodeArray = new Node[0];
    private SimLink[] linkArray = new SimLink[0];
    private final TraceHash trace = new TraceHash();
    private final List<Runnable> stepHooks = new ArrayList<>();
    private long steps;

    public Simulator(long seed) {
        this(seed, 0);
    }

    public Simulator(long seed, long startNanos) {
        this.clock = new VirtualClock(startNanos);
        this.seeds = new SplittableRandom(seed);
    }

    public VirtualClock clock() {
        return clock;
    }

    public long now() {
        return clock.nanos();
    }

    /** Registers a node; nodes are polled in registration order. */
    public <N extends Node> N add(N node) {
        nodes.add(node);
        nodeArray = nodes.toArray(new Node[0]);
        return node;
    }

    /**
     * Creates a link with {@code slots} in-flight frames per direction of up to
     * {@link FrameChannel#DEFAULT_MTU_FRAME} bytes. Each direction draws from its own generator
     * split off the simulator's seed in creation order.
     */
    public SimLink link(String name, LinkProfile aToB, LinkProfile bToA, int slots) {
        return link(name, aToB, bToA, slots, FrameChannel.DEFAULT_MTU_FRAME);
    }

    public SimLink link(String name, LinkProfile aToB, LinkProfile bToA, int slots, int maxFrameBytes) {
        SimLink link = new SimLink(this, links.size(), name, aToB, bToA, seeds.split(), seeds.split(),
                slots, maxFrameBytes);
        links.add(link);
        linkArray = links.toArray(new SimLink[0]);
        return link;
    }

    /** A link with the same profile both ways and 1024 slots per direction. */
    public SimLink link(String name, LinkProfile profile) {
        return link(name, profile, profile, 1024);
    }

    /**
     * Adds a hook run after every step, when all work due at the current instant is done and
     * before the clock moves. Hooks add no events, so a hook that leaves node state equivalent
     * (e.g. snapshot and restore) leaves the run unchanged.
     */
    public void onStep(Runnable hook) {
        stepHooks.add(hook);
    }

    /** The hash over every frame delivered so far (link, direction, time, bytes). */
    public long traceHash() {
        return trace.value();
    }

    /** Frames delivered so far, over all links. */
    public long framesDelivered() {
        return trace.frames();
    }

    public long steps() {
        return steps;
    }

    void recordDelivery(int linkId, int direction, long time, DirectBuffer buffer, int offset, int length) {
        trace.add(linkId, direction, time, buffer, offset, length);
    }

    /**
     * Runs until {@code done} is true (checked after every step) or the next event lies beyond
     * {@code untilNanos} or nothing is left to do.
     *
     * @return true if {@code done} became true
     */
    public boolean runUntil(long untilNanos, BooleanSupplier done) {
        while (true) {
            settle();
            steps++;
            for (int i = 0; i < stepHooks.size(); i++) {
                stepHooks.get(i).run();
            }
            if (done.getAsBoolean()) {
                return true;
            }
            long next = nextEvent();
            if (next == Long.MAX_VALUE || next > untilNanos) {
                if (untilNanos != Long.MAX_VALUE && untilNanos > clock.nanos()) {
                    clock.advanceTo(untilNanos);
                }
                return false;
            }
            // A deadline in the past after settling means the node did not consume it; move on
            // by one nanosecond rather than spin at this instant.
            clock.advanceTo(Math.max(next, clock.nanos() + 1));
        }
    }

    /** Runs for {@code nanos} of virtual time (or until idle). */
    public void runFor(long nanos) {
        runUntil(clock.nanos() + nanos, () -> false);
    }

    /** The earliest pending event: a frame delivery or a node deadline. */
    public long nextEvent() {
        long next = Long.MAX_VALUE;
        for (SimLink link : linkArray) {
            next = Math.min(next, link.nextDelivery());
        }
        for (Node node : nodeArray) {
            next = Math.min(next, node.nextDeadline());
        }
        return next;
    }

    /** Delivers and polls at the current instant until nothing more happens. */
    private void settle() {
        long now = clock.nanos();
        for (int round = 0; ; round++) {
            int work = 0;
            for (SimLink link : linkArray) {
                work += link.deliverDue(now);
            }
            for (Node node : nodeArray) {
                work += node.poll(now);
            }
            if (work == 0) {
                return;
            }
            if (round >= MAX_ROUNDS_PER_INSTANT) {
                throw new IllegalStateException("livelock at t=" + now + "ns: nodes keep working");
            }
        }
    }
}
