package io.capybara.host;

import io.capybara.io.FrameChannel;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The ARP state of one host, without I/O: the neighbour cache (entries expire; static ones
 * never do), the next hops being resolved (with retry deadlines), and a small parking queue of
 * frames waiting for a resolution.
 *
 * <p>Parking policy: up to {@link #QUEUE_FRAMES} frames in total are kept, in order; when full
 * the new frame is dropped and TCP's retransmission recovers it. Parking avoids a full RTO
 * (1 s by default) for the first SYN to a fresh neighbour.
 */
final class ArpTable {
    static final int QUEUE_FRAMES = 16;
    static final int MAX_RESOLVING = 16;
    private static final long MISSING = -1;
    private static final long STATIC = Long.MAX_VALUE;

    private final Long2LongHashMap macs = new Long2LongHashMap(64, 0.6f, MISSING);
    private final Long2LongHashMap expiry = new Long2LongHashMap(64, 0.6f, MISSING);
    private final long timeoutNanos;
    /** The last entry looked up: a burst of frames to one host (state fragments) skips the maps. */
    private int lastIp;
    private long lastMac = MISSING;
    private long lastExpiry;

    // next hops being resolved: ip, retry deadline, requests sent
    private final int[] resolvingIp = new int[MAX_RESOLVING];
    private final long[] resolvingDeadline = new long[MAX_RESOLVING];
    private final int[] resolvingRequests = new int[MAX_RESOLVING];
    private int resolvingCount;

    // parked frames, in arrival order: queueOrder[0..queued) are slot indices
    private final UnsafeBuffer queueFrames = new UnsafeBuffer(new byte[QUEUE_FRAMES * FrameChannel.DEFAULT_MTU_FRAME]);
    private final int[] queueIp = new int[QUEUE_FRAMES];
    private final int[] queueLength = new int[QUEUE_FRAMES];
    private final int[] queueOrder = new int[QUEUE_FRAMES];
    private int queued;

    ArpTable(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    private static long key(int ip) {
        return ip & 0xFFFF_FFFFL;
    }

    void putStatic(int ip, long mac) {
        lastMac = MISSING;
        macs.put(key(ip), mac);
        expiry.put(key(ip), STATIC);
    }

    /** The MAC of {@code ip}, or -1 if unknown or expired (an expired entry is removed). */
    long lookup(int ip, long now, HostStats stats) {
        if (ip == lastIp && lastMac != MISSING && lastExpiry > now) {
            return lastMac;
        }
        long mac = macs.get(key(ip));
        if (mac == MISSING) {
            return MISSING;
        }
        long until = expiry.get(key(ip));
        if (until <= now) {
            macs.remove(key(ip));
            expiry.remove(key(ip));
            lastMac = MISSING;
            stats.arpExpired++;
            return MISSING;
        }
        lastIp = ip;
        lastMac = mac;
        lastExpiry = until;
        return mac;
    }

    boolean contains(int ip) {
        return macs.containsKey(key(ip));
    }

    boolean isStatic(int ip) {
        return expiry.get(key(ip)) == STATIC;
    }

    /** Adds or refreshes a learned entry; static entries are left alone. */
    void learn(int ip, long mac, long now) {
        if (isStatic(ip)) {
            return;
        }
        lastMac = MISSING;
        macs.put(key(ip), mac);
        expiry.put(key(ip), now + timeoutNanos);
    }

    int size() {
        return macs.size();
    }

    // ---- resolution ----

    boolean isResolving(int ip) {
        return indexOfResolving(ip) >= 0;
    }

    /** Starts resolving {@code ip}; false if too many resolutions are already running. */
    boolean startResolving(int ip, long retryAt) {
        if (resolvingCount == MAX_RESOLVING) {
            return false;
        }
        resolvingIp[resolvingCount] = ip;
        resolvingDeadline[resolvingCount] = retryAt;
        resolvingRequests[resolvingCount] = 1;
        resolvingCount++;
        return true;
    }

    void stopResolving(int ip) {
        int i = indexOfResolving(ip);
        if (i >= 0) {
            resolvingCount--;
            resolvingIp[i] = resolvingIp[resolvingCount];
            resolvingDeadline[i] = resolvingDeadline[resolvingCount];
            resolvingRequests[i] = resolvingRequests[resolvingCount];
        }
    }

    private int indexOfResolving(int ip) {
        for (int i = 0; i < resolvingCount; i++) {
            if (resolvingIp[i] == ip) {
                return i;
            }
        }
        return -1;
    }

    long nextDeadline() {
        long d = Long.MAX_VALUE;
        for (int i = 0; i < resolvingCount; i++) {
            d = Math.min(d, resolvingDeadline[i]);
        }
        return d;
    }

    int resolvingCount() {
        return resolvingCount;
    }

    int resolvingIp(int i) {
        return resolvingIp[i];
    }

    long resolvingDeadline(int i) {
        return resolvingDeadline[i];
    }

    int resolvingRequests(int i) {
        return resolvingRequests[i];
    }

    void retried(int i, long nextAt) {
        resolvingRequests[i]++;
        resolvingDeadline[i] = nextAt;
    }

    // ---- parking queue ----

    /** Parks a complete frame (destination MAC still to be filled in); false if full. */
    boolean park(int nextHop, DirectBuffer frame, int offset, int length) {
        if (queued == QUEUE_FRAMES || length > FrameChannel.DEFAULT_MTU_FRAME) {
            return false;
        }
        int slot = freeSlot();
        queueFrames.putBytes(slot * FrameChannel.DEFAULT_MTU_FRAME, frame, offset, length);
        queueIp[slot] = nextHop;
        queueLength[slot] = length;
        queueOrder[queued++] = slot;
        return true;
    }

    private int freeSlot() {
        outer:
        for (int s = 0; s < QUEUE_FRAMES; s++) {
            for (int i = 0; i < queued; i++) {
                if (queueOrder[i] == s) {
                    continue outer;
                }
            }
            return s;
        }
        throw new IllegalStateException("no free slot");
    }

    /** Receives each parked frame for one next hop. */
    interface ParkedFrameSink {
        void onParked(UnsafeBuffer buffer, int offset, int length);
    }

    /**
     * Removes every frame parked for {@code nextHop}, in order, handing each to {@code sink}
     * (null just drops them). Returns how many were removed.
     */
    int unpark(int nextHop, ParkedFrameSink sink) {
        int kept = 0;
        int removed = 0;
        for (int i = 0; i < queued; i++) {
            int slot = queueOrder[i];
            if (queueIp[slot] == nextHop) {
                if (sink != null) {
                    sink.onParked(queueFrames, slot * FrameChannel.DEFAULT_MTU_FRAME, queueLength[slot]);
                }
                removed++;
            } else {
                queueOrder[kept++] = slot;
            }
        }
        queued = kept;
        return removed;
    }

    int parked() {
        return queued;
    }
}
