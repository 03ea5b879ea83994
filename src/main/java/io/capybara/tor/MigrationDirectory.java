package io.capybara.tor;

import java.util.Arrays;

/**
 * The switch's migration directory: for each migrated connection, keyed by the client's IPv4
 * address and TCP port, the server that originally owned it and the server that owns it now.
 *
 * <p>Laid out like P4 register arrays: {@code levels} parallel arrays of 2^16 slots, sized once,
 * never grown. A key's index is {@link #hash16}; lookup tries the slot at that index in level 1,
 * then level 2, and so on (so the directory is L-way set associative, as in the paper's
 * two-level table). When all L slots of an index hold other keys the directory is full for that
 * key and {@link #install} refuses: the caller then rejects the migration, so a full table never
 * breaks a connection.
 *
 * <p>An entry of a connection to a virtual address ({@link #vip} non-zero) also tracks where
 * the switch placed it: the original server is the one its SYN went to, and responses get the
 * VIP as their source address; it keeps the client's initial sequence number, so that a
 * retransmitted or duplicated SYN is told from a new connection on the same port.
 *
 * <p>A slot handle is {@code level << 16 | index}. No method allocates.
 */
public final class MigrationDirectory {
    public static final int SLOTS_PER_LEVEL = 1 << 16;
    public static final int NOT_FOUND = -1;
    private static final long EMPTY = -1L;

    /** Set in {@link #finState} when each side's FIN has been seen, and when each FIN is acked. */
    static final int CLIENT_FIN = 1;
    static final int SERVER_FIN = 2;
    static final int CLIENT_FIN_ACKED = 4;
    static final int SERVER_FIN_ACKED = 8;

    private final int levels;
    private final long[] keys;
    private final short[] original;
    private final short[] current;
    private final long[] lastSeen;
    private final byte[] finState;
    /** 0, or 1 + the index of the VIP the connection was opened to. */
    private final byte[] vip;
    private final int[] clientFinEnd;
    private final int[] serverFinEnd;
    /** A VIP connection's client initial sequence number (its SYN's): tells a new connection from a repeated SYN. */
    private final int[] clientIsn;
    private int size;
    private int sweepCursor;

    public MigrationDirectory(int levels) {
        if (levels < 1 || levels > 8) {
            throw new IllegalArgumentException("levels must be 1..8, got " + levels);
        }
        this.levels = levels;
        int n = levels * SLOTS_PER_LEVEL;
        keys = new long[n];
        Arrays.fill(keys, EMPTY);
        original = new short[n];
        current = new short[n];
        lastSeen = new long[n];
        finState = new byte[n];
        vip = new byte[n];
        clientFinEnd = new int[n];
        clientIsn = new int[n];
        serverFinEnd = new int[n];
    }

    public int levels() {
        return levels;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return keys.length;
    }

    /** The 48-bit key: client IPv4 address and TCP port. Never equal to the empty marker. */
    public static long key(int clientIp, int clientPort) {
        return (clientIp & 0xFFFF_FFFFL) << 16 | (clientPort & 0xFFFF);
    }

    /**
     * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) over the six
     * bytes of client IP (big endian) and port (big endian): a hash Tofino computes natively.
     *
     * <p>Computed as six independent table lookups XORed together: CRC is affine over GF(2), so
     * the CRC of the six bytes is the CRC of six zero bytes (the init's contribution) XOR, for
     * each byte position, the CRC (init 0) of that byte alone at that position. The lookups do
     * not depend on each other, unlike the byte-at-a-time chain; the tables take 3 KiB.
     */
    public static int hash16(int clientIp, int clientPort) {
        return INIT_CONTRIBUTION
                ^ POSITION_TABLES[(clientIp >>> 24)]
                ^ POSITION_TABLES[256 + ((clientIp >>> 16) & 0xFF)]
                ^ POSITION_TABLES[512 + ((clientIp >>> 8) & 0xFF)]
                ^ POSITION_TABLES[768 + (clientIp & 0xFF)]
                ^ POSITION_TABLES[1024 + ((clientPort >>> 8) & 0xFF)]
                ^ POSITION_TABLES[1280 + (clientPort & 0xFF)];
    }

    private static final int HASHED_BYTES = 6;
    /** For byte position p (0 = the IP's top byte) and value v: CRC (init 0) of v followed by 5 - p zero bytes. */
    private static final char[] POSITION_TABLES = new char[HASHED_BYTES * 256];
    /** CRC-16/CCITT-FALSE of six zero bytes: what the init value 0xFFFF contributes. */
    private static final int INIT_CONTRIBUTION;

    static {
        int[] byteTable = new int[256];
        for (int i = 0; i < 256; i++) {
            int c = i << 8;
            for (int b = 0; b < 8; b++) {
                c = (c & 0x8000) != 0 ? (c << 1) ^ 0x1021 : c << 1;
            }
            byteTable[i] = c & 0xFFFF;
        }
        for (int p = 0; p < HASHED_BYTES; p++) {
            for (int v = 0; v < 256; v++) {
                int crc = crcByte(byteTable, 0, v);
                for (int z = p + 1; z < HASHED_BYTES; z++) {
                    crc = crcByte(byteTable, crc, 0);
                }
                POSITION_TABLES[p * 256 + v] = (char) crc;
            }
        }
        int init = 0xFFFF;
        for (int z = 0; z < HASHED_BYTES; z++) {
            init = crcByte(byteTable, init, 0);
        }
        INIT_CONTRIBUTION = init;
    }

    private static int crcByte(int[] table, int crc, int b) {
        return ((crc << 8) ^ table[((crc >>> 8) ^ b) & 0xFF]) & 0xFFFF;
    }

    /** The handle of the slot holding this client's entry, or {@link #NOT_FOUND}. */
    public int find(int clientIp, int clientPort) {
        long k = key(clientIp, clientPort);
        int index = hash16(clientIp, clientPort);
        for (int level = 0, slot = index; level < levels; level++, slot += SLOTS_PER_LEVEL) {
            if (keys[slot] == k) {
                return slot;
            }
        }
        return NOT_FOUND;
    }

    /**
     * Points the client's connection at {@code currentServer}, creating the entry in the first
     * free level if there is none. An existing entry keeps its original server.
     *
     * @return the slot handle, or {@link #NOT_FOUND} when every level's slot is taken
     */
    public int install(int clientIp, int clientPort, int originalServer, int currentServer, long nowNanos) {
        return install(clientIp, clientPort, originalServer, currentServer, 0, nowNanos);
    }

    /**
     * As {@link #install(int, int, int, int, long)}; a new entry records {@code vipTag} (0 for
     * none, else 1 + the VIP's index), an existing one keeps its own.
     */
    public int install(int clientIp, int clientPort, int originalServer, int currentServer, int vipTag, long nowNanos) {
        int existing = find(clientIp, clientPort);
        if (existing != NOT_FOUND) {
            current[existing] = (short) currentServer;
            lastSeen[existing] = nowNanos;
            return existing;
        }
        int index = hash16(clientIp, clientPort);
        for (int level = 0, slot = index; level < levels; level++, slot += SLOTS_PER_LEVEL) {
            if (keys[slot] == EMPTY) {
                keys[slot] = key(clientIp, clientPort);
                original[slot] = (short) originalServer;
                current[slot] = (short) currentServer;
                lastSeen[slot] = nowNanos;
                finState[slot] = 0;
                vip[slot] = (byte) vipTag;
                size++;
                return slot;
            }
        }
        return NOT_FOUND;
    }

    public void remove(int slot) {
        if (keys[slot] != EMPTY) {
            keys[slot] = EMPTY;
            finState[slot] = 0;
            size--;
        }
    }

    /** Records the client's initial sequence number of a VIP connection (from the SYN that placed it). */
    public void clientIsn(int slot, int isn) {
        clientIsn[slot] = isn;
    }

    public int clientIsn(int slot) {
        return clientIsn[slot];
    }

    /** 0 if the entry is not a VIP connection's, else 1 + the VIP's index. */
    public int vipTag(int slot) {
        return vip[slot];
    }

    /** Bytes of switch memory per slot: key, two server indices, last-seen time, FIN state and ends, VIP tag. */
    public static int bytesPerSlot() {
        return Long.BYTES + 2 * Short.BYTES + Long.BYTES + 1 + 2 * Integer.BYTES + 1 + Integer.BYTES;
    }

    public int originalServer(int slot) {
        return original[slot];
    }

    public int currentServer(int slot) {
        return current[slot];
    }

    public int clientIp(int slot) {
        return (int) (keys[slot] >>> 16);
    }

    public int clientPort(int slot) {
        return (int) (keys[slot] & 0xFFFF);
    }

    public void touch(int slot, long nowNanos) {
        lastSeen[slot] = nowNanos;
    }

    /**
     * Notes a FIN from the client ({@code fromClient}) or the server ending at sequence number
     * {@code finEnd} (the FIN's seq + payload length + 1), and an ACK in the same packet
     * acknowledging {@code ack} in the other direction.
     *
     * @return true when both FINs have now been seen and acknowledged: the caller removes the entry
     */
    public boolean onFinOrAck(int slot, boolean fromClient, boolean fin, int finEnd, boolean hasAck, int ack) {
        int s = finState[slot];
        if (fin) {
            if (fromClient) {
                s |= CLIENT_FIN;
                clientFinEnd[slot] = finEnd;
            } else {
                s |= SERVER_FIN;
                serverFinEnd[slot] = finEnd;
            }
        }
        if (hasAck) {
            // An ACK from one side acknowledges the other side's FIN once it covers the FIN's end.
            if (fromClient && (s & SERVER_FIN) != 0 && ack - serverFinEnd[slot] >= 0) {
                s |= SERVER_FIN_ACKED;
            } else if (!fromClient && (s & CLIENT_FIN) != 0 && ack - clientFinEnd[slot] >= 0) {
                s |= CLIENT_FIN_ACKED;
            }
        }
        finState[slot] = (byte) s;
        return (s & (CLIENT_FIN_ACKED | SERVER_FIN_ACKED)) == (CLIENT_FIN_ACKED | SERVER_FIN_ACKED);
    }

    /** True once a FIN has been seen for this entry: from then on ACKs are tracked too. */
    public boolean finSeen(int slot) {
        return (finState[slot] & (CLIENT_FIN | SERVER_FIN)) != 0;
    }

    /**
     * Reclaims entries not touched for {@code idleNanos}, visiting at most {@code maxSlots}
     * slots from where the previous sweep stopped, so the cost per call is bounded like a
     * switch's control-plane scan.
     *
     * @return entries removed
     */
    public int sweepIdle(long nowNanos, long idleNanos, int maxSlots) {
        int removed = 0;
        int n = keys.length;
        for (int i = 0; i < maxSlots && i < n; i++) {
            int slot = sweepCursor;
            sweepCursor = sweepCursor + 1 == n ? 0 : sweepCursor + 1;
            if (keys[slot] != EMPTY && nowNanos - lastSeen[slot] >= idleNanos) {
                remove(slot);
                removed++;
            }
        }
        return removed;
    }
}
