package io.capybara.tcp;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The envelope of a connection snapshot and its first group, the configuration. A 16-byte
 * header (magic {@code "CPTC"}, version, body length, CRC32C of the body; big-endian ints; the
 * CRC is 0 when a transport checksums the bytes itself) and a body of groups, each of which
 * writes and reads itself in a fixed order (see {@link TcpConnection#snapshot}).
 */
final class SnapshotFormat {
    static final TcpState[] STATES = TcpState.values();
    private static final TcpConfig.Congestion[] CONGESTIONS = TcpConfig.Congestion.values();
    static final int MAGIC = 0x43505443; // "CPTC"
    /**
     * 3: the congestion controller in the config group, CUBIC's state after NewReno's, the SACK
     * scoreboard with RACK-TLP and PRR state, the loss timer, two more counters. Older versions
     * are refused: their connections had no scoreboard to restore.
     */
    static final int VERSION = 3;
    static final int HEADER = 16;
    /** Upper bound of the body before the rings. */
    static final int FIXED_BODY = 512;

    private SnapshotFormat() {
    }

    /** Writes the header for a body of {@code bodyLength} bytes that lies right behind it. */
    static int seal(MutableDirectBuffer dst, int offset, int bodyLength, boolean checksum) {
        dst.putInt(offset, MAGIC, ByteOrder.BIG_ENDIAN);
        dst.putInt(offset + 4, VERSION, ByteOrder.BIG_ENDIAN);
        dst.putInt(offset + 8, bodyLength, ByteOrder.BIG_ENDIAN);
        dst.putInt(offset + 12, checksum ? crc32c(dst, offset + HEADER, bodyLength) : 0, ByteOrder.BIG_ENDIAN);
        return HEADER + bodyLength;
    }

    /**
     * Checks the header of {@code length} bytes at {@code offset} (and the body's CRC when
     * {@code verifyChecksum}) and returns the snapshot's version; the body follows the header.
     */
    static int open(DirectBuffer src, int offset, int length, boolean verifyChecksum) throws SnapshotException {
        if (src == null || offset < 0 || length < 0 || (long) offset + length > src.capacity()) {
            throw new SnapshotException("snapshot range [" + offset + ", +" + length + ") outside the buffer");
        }
        if (length < HEADER) {
            throw new SnapshotException("snapshot truncated: " + length + " bytes, header needs " + HEADER);
        }
        int magic = src.getInt(offset, ByteOrder.BIG_ENDIAN);
        if (magic != MAGIC) {
            throw new SnapshotException("not a TCP connection snapshot: magic 0x" + Integer.toHexString(magic));
        }
        int version = src.getInt(offset + 4, ByteOrder.BIG_ENDIAN);
        if (version != VERSION) {
            throw new SnapshotException("unsupported snapshot version " + version + " (expected " + VERSION
                    + (version < VERSION && version > 0 ? "; versions before 3 carry no SACK scoreboard or congestion"
                    + " controller state and cannot be restored by this build" : "") + ")");
        }
        int bodyLength = src.getInt(offset + 8, ByteOrder.BIG_ENDIAN);
        if (bodyLength != length - HEADER) {
            throw new SnapshotException("snapshot length mismatch: header says " + bodyLength
                    + " body bytes, " + (length - HEADER) + " given");
        }
        int crc = src.getInt(offset + 12, ByteOrder.BIG_ENDIAN);
        int actual = verifyChecksum ? crc32c(src, offset + HEADER, bodyLength) : crc;
        if (crc != actual) {
            throw new SnapshotException("snapshot corrupt: CRC32C 0x" + Integer.toHexString(actual)
                    + " != 0x" + Integer.toHexString(crc));
        }
        return version;
    }

    private static TcpConfig.Congestion congestion(int ordinal) throws SnapshotException {
        if (ordinal >= CONGESTIONS.length) {
            throw new SnapshotException("snapshot corrupt: congestion controller " + ordinal);
        }
        return CONGESTIONS[ordinal];
    }

    static int crc32c(DirectBuffer buffer, int offset, int length) {
        return io.capybara.wire.BufferCrc.crc32c(buffer, offset, length);
    }

    static void writeConfig(SnapshotWriter w, TcpConfig c) {
        w.putInt(c.mss());
        w.putInt(c.sendBufferBytes());
        w.putInt(c.receiveBufferBytes());
        w.putInt(c.windowScale());
        w.putBoolean(c.sackPermitted());
        w.putBoolean(c.timestamps());
        w.putBoolean(c.nagle());
        w.putLong(c.delayedAckNanos());
        w.putLong(c.initialRtoNanos());
        w.putLong(c.minRtoNanos());
        w.putLong(c.maxRtoNanos());
        w.putInt(c.maxRetransmissions());
        w.putLong(c.timeWaitNanos());
        w.putInt(c.maxOutOfOrderSegments());
        w.putLong(c.finWait2Nanos());
        w.putByte(c.congestion().ordinal());
    }

    /** The configuration group; {@code usual} is returned instead of an equal copy. */
    static TcpConfig readConfig(SnapshotReader r, TcpConfig usual) throws SnapshotException {
        TcpConfig config = new TcpConfig(
                r.getInt("config.mss", TcpConnection.MIN_MSS, 65535),
                r.getInt("config.sendBufferBytes", 1, TcpConnection.MAX_BUFFER),
                r.getInt("config.receiveBufferBytes", 1, TcpConnection.MAX_BUFFER),
                r.getInt("config.windowScale", Integer.MIN_VALUE, TcpConnection.MAX_WINDOW_SHIFT),
                r.getBoolean("config.sackPermitted"),
                r.getBoolean("config.timestamps"),
                r.getBoolean("config.nagle"),
                r.getLong("config.delayedAckNanos", 0, Long.MAX_VALUE),
                r.getLong("config.initialRtoNanos", 1, Long.MAX_VALUE),
                r.getLong("config.minRtoNanos", 1, Long.MAX_VALUE),
                r.getLong("config.maxRtoNanos", 1, Long.MAX_VALUE),
                r.getInt("config.maxRetransmissions", 0, Integer.MAX_VALUE),
                r.getLong("config.timeWaitNanos", 0, Long.MAX_VALUE),
                r.getInt("config.maxOutOfOrderSegments", 0, TcpConnection.MAX_OOO_INTERVALS),
                r.getLong("config.finWait2Nanos", 0, Long.MAX_VALUE),
                congestion(r.getByte("config.congestion")));
        if (config.maxRtoNanos() < config.minRtoNanos()) {
            throw new SnapshotException("snapshot corrupt: maxRto < minRto");
        }
        return config.equals(usual) ? usual : config;
    }

    /** The body of {@link TcpConnection#snapshot}: the groups in their fixed order, then the header. */
    static int write(TcpConnection c, MutableDirectBuffer dst, int offset, long nowNanos, boolean checksum) {
        SnapshotWriter w = new SnapshotWriter().wrap(dst, offset + HEADER);
        writeConfig(w, c.config);
        w.putInt(c.localIp);
        w.putInt(c.localPort);
        w.putInt(c.remoteIp);
        w.putInt(c.remotePort);
        w.putByte(c.state.ordinal());
        c.snd.write(w);
        c.rcv.write(w);
        c.opt.write(w, nowNanos);
        c.rtt.write(w, nowNanos);
        c.cc.write(w, nowNanos);
        c.recovery.write(w, nowNanos);
        c.timers.write(w, nowNanos);
        c.stats.write(w);
        c.sendRing.write(w);
        c.recvRing.write(w, c.rcv.nxt);
        return seal(dst, offset, w.position() - (offset + HEADER), checksum);
    }

    /** The body of {@link TcpConnection#restore}: reads the groups in the order {@link #write} wrote them. */
    static TcpConnection read(DirectBuffer src, int offset, int length, long nowNanos, SegmentSink sink,
                              boolean verifyChecksum, BufferPool pool, TcpConfig usual) throws SnapshotException {
        open(src, offset, length, verifyChecksum);
        SnapshotReader r = new SnapshotReader().wrap(src, offset + HEADER, length - HEADER);
        TcpConfig config = readConfig(r, usual);
        int localIp = r.getInt("localIp");
        int localPort = r.getInt("localPort", 0, 65535);
        int remoteIp = r.getInt("remoteIp");
        int remotePort = r.getInt("remotePort", 0, 65535);
        int stateOrdinal = r.getByte("state");
        if (stateOrdinal >= STATES.length || STATES[stateOrdinal] == TcpState.LISTEN) {
            throw new SnapshotException("snapshot corrupt: state ordinal " + stateOrdinal);
        }
        // the rings come last and are sized by the config: the groups are read into a shell first
        TcpConnection c = new TcpConnection(config, localIp, localPort, remoteIp, remotePort, sink, null, null,
                new RttEstimator(config.initialRtoNanos(), config.minRtoNanos(), config.maxRtoNanos()),
                NewReno.create(config.congestion(), 0, TcpConnection.MIN_MSS), new TcpStats());
        c.state = STATES[stateOrdinal];
        c.snd.read(r);
        c.rcv.read(r);
        c.opt.read(r, nowNanos);
        c.rtt.read(r, nowNanos);
        c.cc.read(r, nowNanos);
        c.recovery.read(r, nowNanos, c.snd.una, c.snd.max, pool);
        c.timers.read(r, nowNanos);
        c.stats.read(r);
        c.sendRing = SendRing.read(r, TcpConnection.ringCapacity(config.sendBufferBytes()), pool);
        c.recvRing = ReceiveRing.read(r, TcpConnection.ringCapacity(config.receiveBufferBytes()),
                config.maxOutOfOrderSegments(), c.rcv.nxt, pool);
        if (r.remaining() != 0) {
            throw new SnapshotException("snapshot corrupt: " + r.remaining() + " unexpected trailing body bytes");
        }
        c.snd.check(c.sendRing.length());
        return c;
    }
}
