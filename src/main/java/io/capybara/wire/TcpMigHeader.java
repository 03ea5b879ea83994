package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over a TCPMig control message: the UDP payload exchanged by servers and the
 * switch (docs/TCPMIG.md has the byte table). Big endian; a CRC32C trailer after the body
 * covers everything before it, except in CONN_STATE fragments, where it covers the header
 * only: the state they carry has its own CRC32C end to end (one pass over the whole state
 * costs less than one per fragment).
 *
 * <pre>
 *  0 magic u16 0xCA9B | 2 version u8 | 3 type u8 | 4 reason u8 | 5 reserved u8 | 6 length u16
 *  8 migration id u32 | 12 client ip u32 | 16 client port u16 | 18 server port u16
 * 20 origin ip u32 | 24 target ip u32 | 28 fragment index u16 | 30 fragment count u16
 * 32 value u32 (HEARTBEAT: load; CONN_STATE: total state bytes; PREPARE_MIG, its ACK and
 *    ABORT: the connection's original server address) | 36 body ...
 * length-4 crc32c u32 over bytes [0, length-4); CONN_STATE: over bytes [0, 36)
 * </pre>
 */
public final class TcpMigHeader {
    public static final int UDP_PORT = 0xCAFE;
    public static final int MAGIC = 0xCA9B;
    /** 2: CONN_STATE trailers cover the header only (1 covered the body too). */
    public static final int VERSION = 2;
    /** Fixed header bytes before the body. */
    public static final int HEADER_LENGTH = 36;
    /** The CRC32C trailer. */
    public static final int TRAILER_LENGTH = 4;
    /** Smallest whole message: header and trailer, no body. */
    public static final int MIN_LENGTH = HEADER_LENGTH + TRAILER_LENGTH;

    public static final int PREPARE_MIG = 1;
    public static final int PREPARE_MIG_ACK = 2;
    public static final int REJECT = 3;
    public static final int CONN_STATE = 4;
    public static final int CONN_STATE_ACK = 5;
    public static final int ABORT = 6;
    public static final int HEARTBEAT = 7;
    public static final int MAX_TYPE = HEARTBEAT;

    /** Reasons carried by REJECT (and ABORT). */
    public static final int REASON_NONE = 0;
    public static final int REASON_NO_TARGET = 1;
    public static final int REASON_DIRECTORY_FULL = 2;
    public static final int REASON_TARGET_BUSY = 3;
    public static final int REASON_TIMEOUT = 4;
    public static final int REASON_CONNECTION_GONE = 5;
    /** REJECT (extension, docs/TCPMIG.md): "your ABORT reached me" (target -> sender of the ABORT). */
    public static final int REASON_ABORT_ACK = 6;
    /** REJECT (extension): "a stray target was prepared; re-point the switch to you" (origin -> holder). */
    public static final int REASON_REASSERT = 7;
    /**
     * REJECT (extension): "my hold of your migration ran out without its state" (target -> origin),
     * repeated a few times, a round trip apart, until an ABORT frees the slot: the switch may point
     * at this target because of a stray copy of a PREPARE_MIG.
     */
    public static final int REASON_HOLD_EXPIRED = 8;

    /** HEARTBEAT flags, in the reason byte: the server is draining (no new connections, no migrations in). */
    public static final int HEARTBEAT_DRAINING = 1;
    /** HEARTBEAT flag (server -> switch): answer with the rack's loads ({@link #HEARTBEAT_LOADS}). */
    public static final int HEARTBEAT_WANTS_LOADS = 2;
    /**
     * HEARTBEAT flag (switch -> server, the answer to {@link #HEARTBEAT_WANTS_LOADS}): value is the
     * least load among the other live, not draining servers, target ip that server; value
     * {@link #NO_LOAD} and target 0 when there is none.
     */
    public static final int HEARTBEAT_LOADS = 4;
    /** HEARTBEAT_LOADS value: no other server to compare with. */
    public static final long NO_LOAD = 0xFFFF_FFFFL;

    /** Results of {@link #validate}. */
    public static final int OK = 0;
    public static final int ERR_TRUNCATED = 1;
    public static final int ERR_MAGIC = 2;
    public static final int ERR_VERSION = 3;
    public static final int ERR_TYPE = 4;
    public static final int ERR_LENGTH = 5;
    public static final int ERR_CHECKSUM = 6;
    public static final int ERR_FRAGMENT = 7;

    private static final int O_MAGIC = 0;
    private static final int O_VERSION = 2;
    private static final int O_TYPE = 3;
    private static final int O_REASON = 4;
    private static final int O_LENGTH = 6;
    private static final int O_MIGRATION_ID = 8;
    private static final int O_CLIENT_IP = 12;
    private static final int O_CLIENT_PORT = 16;
    private static final int O_SERVER_PORT = 18;
    private static final int O_ORIGIN = 20;
    private static final int O_TARGET = 24;
    private static final int O_FRAG_INDEX = 28;
    private static final int O_FRAG_COUNT = 30;
    private static final int O_VALUE = 32;

    private final BufferCrc crc = new BufferCrc();
    private DirectBuffer buffer;
    private MutableDirectBuffer mutable;
    private int offset;

    public TcpMigHeader wrap(DirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.mutable = buffer instanceof MutableDirectBuffer m ? m : null;
        this.offset = offset;
        return this;
    }

    /**
     * Wraps this flyweight on the TCPMig message an Ethernet frame carries, if it carries one:
     * IPv4, UDP to {@link #UDP_PORT}, room for a header. No magic, version or checksum check
     * ({@link #validate} does those): this answers a frame filter's "is this TCPMig, which type?".
     *
     * @return true if wrapped; false, and this flyweight untouched, for any other frame
     */
    public boolean wrapFrame(DirectBuffer b, int off, int len) {
        int ip = off + EthernetHeader.LENGTH;
        if (len < EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH + MIN_LENGTH
                || EthernetHeader.etherType(b, off) != EthernetHeader.TYPE_IPV4
                || Ipv4Header.protocol(b, ip) != Ipv4Header.PROTO_UDP) {
            return false;
        }
        int udp = ip + Ipv4Header.headerLength(b, ip);
        if (udp + UdpHeader.LENGTH + MIN_LENGTH > off + len || UdpHeader.dstPort(b, udp) != UDP_PORT) {
            return false;
        }
        wrap(b, udp + UdpHeader.LENGTH);
        return true;
    }

    /**
     * Checks a received message of {@code available} bytes: size, magic, version, type, length
     * field, fragment numbering and checksum. Nothing else should be read before this says OK.
     */
    public int validate(int available) {
        if (available < MIN_LENGTH) {
            return ERR_TRUNCATED;
        }
        if (magic() != MAGIC) {
            return ERR_MAGIC;
        }
        if (version() != VERSION) {
            return ERR_VERSION;
        }
        int t = type();
        if (t < PREPARE_MIG || t > MAX_TYPE) {
            return ERR_TYPE;
        }
        int len = length();
        if (len < MIN_LENGTH || len > available) {
            return ERR_LENGTH;
        }
        if (fragmentCount() == 0 || fragmentIndex() >= fragmentCount()) {
            return ERR_FRAGMENT;
        }
        return crc.compute(buffer, offset, covered(t, len)) == checksum() ? OK : ERR_CHECKSUM;
    }

    /** Writes the CRC trailer over {@link #length()} bytes; call after every other byte is set. */
    public TcpMigHeader seal() {
        mutable.putInt(offset + length() - TRAILER_LENGTH, trailerValue(), ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * The CRC32C the trailer must hold, over the bytes it covers. For CONN_STATE that is the
     * header alone, so the trailer can be computed (and sent) apart from the body.
     */
    public int trailerValue() {
        return crc.compute(buffer, offset, covered(type(), length()));
    }

    /** Bytes the trailer covers: the header of a CONN_STATE fragment, all before it otherwise. */
    private static int covered(int type, int length) {
        return type == CONN_STATE ? HEADER_LENGTH : length - TRAILER_LENGTH;
    }

    /** Starts a message: magic, version, type, single fragment, no body. */
    public TcpMigHeader init(int type, int migrationId) {
        mutable.setMemory(offset, HEADER_LENGTH, (byte) 0);
        mutable.putShort(offset + O_MAGIC, (short) MAGIC, ByteOrder.BIG_ENDIAN);
        mutable.putByte(offset + O_VERSION, (byte) VERSION);
        mutable.putByte(offset + O_TYPE, (byte) type);
        mutable.putShort(offset + O_LENGTH, (short) MIN_LENGTH, ByteOrder.BIG_ENDIAN);
        mutable.putInt(offset + O_MIGRATION_ID, migrationId, ByteOrder.BIG_ENDIAN);
        mutable.putShort(offset + O_FRAG_COUNT, (short) 1, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int magic() {
        return buffer.getShort(offset + O_MAGIC, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int version() {
        return buffer.getByte(offset + O_VERSION) & 0xFF;
    }

    public int type() {
        return buffer.getByte(offset + O_TYPE) & 0xFF;
    }

    public TcpMigHeader type(int t) {
        mutable.putByte(offset + O_TYPE, (byte) t);
        return this;
    }

    public int reason() {
        return buffer.getByte(offset + O_REASON) & 0xFF;
    }

    public TcpMigHeader reason(int r) {
        mutable.putByte(offset + O_REASON, (byte) r);
        return this;
    }

    /** Total message length, header included. */
    public int length() {
        return buffer.getShort(offset + O_LENGTH, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpMigHeader length(int len) {
        mutable.putShort(offset + O_LENGTH, (short) len, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int bodyOffset() {
        return offset + HEADER_LENGTH;
    }

    public int bodyLength() {
        return length() - MIN_LENGTH;
    }

    /** Sets the body length (the trailer follows it); write the body, then {@link #seal()}. */
    public TcpMigHeader bodyLength(int bodyLength) {
        return length(MIN_LENGTH + bodyLength);
    }

    public int migrationId() {
        return buffer.getInt(offset + O_MIGRATION_ID, ByteOrder.BIG_ENDIAN);
    }

    public int clientIp() {
        return buffer.getInt(offset + O_CLIENT_IP, ByteOrder.BIG_ENDIAN);
    }

    public TcpMigHeader clientIp(int ip) {
        mutable.putInt(offset + O_CLIENT_IP, ip, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int clientPort() {
        return buffer.getShort(offset + O_CLIENT_PORT, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpMigHeader clientPort(int port) {
        mutable.putShort(offset + O_CLIENT_PORT, (short) port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int serverPort() {
        return buffer.getShort(offset + O_SERVER_PORT, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpMigHeader serverPort(int port) {
        mutable.putShort(offset + O_SERVER_PORT, (short) port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int originIp() {
        return buffer.getInt(offset + O_ORIGIN, ByteOrder.BIG_ENDIAN);
    }

    public TcpMigHeader originIp(int ip) {
        mutable.putInt(offset + O_ORIGIN, ip, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int targetIp() {
        return buffer.getInt(offset + O_TARGET, ByteOrder.BIG_ENDIAN);
    }

    public TcpMigHeader targetIp(int ip) {
        mutable.putInt(offset + O_TARGET, ip, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int fragmentIndex() {
        return buffer.getShort(offset + O_FRAG_INDEX, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int fragmentCount() {
        return buffer.getShort(offset + O_FRAG_COUNT, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpMigHeader fragment(int index, int count) {
        mutable.putShort(offset + O_FRAG_INDEX, (short) index, ByteOrder.BIG_ENDIAN);
        mutable.putShort(offset + O_FRAG_COUNT, (short) count, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * HEARTBEAT: the sender's load; CONN_STATE: the whole state's length in bytes; PREPARE_MIG,
     * PREPARE_MIG_ACK and ABORT: the original server's address (as an unsigned int).
     */
    public long value() {
        return buffer.getInt(offset + O_VALUE, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    public TcpMigHeader value(long v) {
        mutable.putInt(offset + O_VALUE, (int) v, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int checksum() {
        return buffer.getInt(offset + length() - TRAILER_LENGTH, ByteOrder.BIG_ENDIAN);
    }

    public static String typeName(int type) {
        return switch (type) {
            case PREPARE_MIG -> "PREPARE_MIG";
            case PREPARE_MIG_ACK -> "PREPARE_MIG_ACK";
            case REJECT -> "REJECT";
            case CONN_STATE -> "CONN_STATE";
            case CONN_STATE_ACK -> "CONN_STATE_ACK";
            case ABORT -> "ABORT";
            case HEARTBEAT -> "HEARTBEAT";
            default -> "UNKNOWN(" + type + ")";
        };
    }
}
