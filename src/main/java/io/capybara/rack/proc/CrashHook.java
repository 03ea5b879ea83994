package io.capybara.rack.proc;

import io.capybara.io.FrameChannel;
import io.capybara.io.ForwardingChannel;
import io.capybara.io.FrameHandler;
import io.capybara.io.linux.LinuxCalls;
import io.capybara.wire.TcpMigHeader;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A test hook around a server's link ({@code server --crash-at POINT}): the process sends
 * itself SIGKILL (as {@code kill -9} would: no shutdown hook, no goodbye) at a chosen point of
 * a migration, seen from the frames it receives.
 * <ul>
 *   <li>{@code origin-ack}: a PREPARE_MIG_ACK arrived, before the origin handles it (the
 *       connection is not yet serialized; the switch already points at the target).</li>
 *   <li>{@code target-state}: the target has taken a CONN_STATE fragment that is not the last
 *       one (part of the state), right after handling it.</li>
 * </ul>
 * Off the test path it is not in the chain at all.
 */
final class CrashHook extends ForwardingChannel {
    enum Point { ORIGIN_ACK, TARGET_STATE }

    private final Point point;
    private final TcpMigHeader mig = new TcpMigHeader();
    private FrameHandler downstream;
    private final FrameHandler watcher = this::onFrame;

    CrashHook(FrameChannel inner, Point point) {
        super(inner);
        this.point = point;
    }

    static Point parse(String s) {
        return switch (s) {
            case "origin-ack" -> Point.ORIGIN_ACK;
            case "target-state" -> Point.TARGET_STATE;
            default -> throw new IllegalArgumentException("--crash-at " + s + ": expected origin-ack or target-state");
        };
    }

    @Override
    public int poll(FrameHandler handler, int limit) {
        downstream = handler;
        return inner.poll(watcher, limit);
    }

    private void onFrame(MutableDirectBuffer b, int off, int len) {
        int type = migType(b, off, len);
        if (point == Point.ORIGIN_ACK && type == TcpMigHeader.PREPARE_MIG_ACK) {
            die();
        }
        downstream.onFrame(b, off, len);
        if (point == Point.TARGET_STATE && type == TcpMigHeader.CONN_STATE
                && mig.fragmentIndex() < mig.fragmentCount() - 1) {
            die();
        }
    }

    /** The TCPMig type of a frame, or -1 if it is not TCPMig (leaves {@link #mig} on it). */
    private int migType(DirectBuffer b, int off, int len) {
        return mig.wrapFrame(b, off, len) ? mig.type() : -1;
    }

    private static void die() {
        System.out.println("crash hook: SIGKILL to myself");
        System.out.flush();
        LinuxCalls.kill(LinuxCalls.threadCallState(), (int) ProcessHandle.current().pid(), 9);
        Runtime.getRuntime().halt(137); // not reached
    }
}
