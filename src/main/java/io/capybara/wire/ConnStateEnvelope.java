package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over a migrated connection's whole state, the body that CONN_STATE fragments carry
 * (docs/TCPMIG.md): a 12-byte prefix, then the TCP snapshot, then the application's state.
 * Big endian.
 *
 * <pre>
 *  0 crc32c u32 over bytes [4, total) | 4 tcp snapshot length u32 | 8 application state length u32
 * 12 tcp snapshot ... | application state ...
 * </pre>
 *
 * The state is checked end to end in one pass: a fragment's own CRC covers only its
 * {@link TcpMigHeader}, and one CRC call over the whole state costs less than one per fragment.
 */
public final class ConnStateEnvelope {
    /** Bytes before the TCP snapshot. */
    public static final int PREFIX_LENGTH = 12;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final int O_CRC = 0;
    private static final int O_TCP_LENGTH = 4;
    private static final int O_APP_LENGTH = 8;

    private final BufferCrc crc = new BufferCrc();
    private MutableDirectBuffer buffer;
    private int offset;

    public ConnStateEnvelope wrap(MutableDirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public MutableDirectBuffer buffer() {
        return buffer;
    }

    /** Where the TCP snapshot starts (absolute index in {@link #buffer()}). */
    public int tcpOffset() {
        return offset + PREFIX_LENGTH;
    }

    /** Where the application state starts (absolute index), after a TCP snapshot of {@link #tcpLength()}. */
    public int appOffset() {
        return tcpOffset() + tcpLength();
    }

    public int tcpLength() {
        return buffer.getInt(offset + O_TCP_LENGTH, BE);
    }

    public int appLength() {
        return buffer.getInt(offset + O_APP_LENGTH, BE);
    }

    /**
     * Writes both lengths and the CRC32C over everything after it; call once the TCP snapshot
     * and the application state are in place.
     *
     * @return the whole envelope's length
     */
    public int seal(int tcpLength, int appLength) {
        buffer.putInt(offset + O_TCP_LENGTH, tcpLength, BE);
        buffer.putInt(offset + O_APP_LENGTH, appLength, BE);
        int total = PREFIX_LENGTH + tcpLength + appLength;
        buffer.putInt(offset + O_CRC, crc.compute(buffer, offset + O_TCP_LENGTH, total - O_TCP_LENGTH), BE);
        return total;
    }

    /** Whether the CRC32C over the {@code total} bytes received matches the one in the prefix. */
    public boolean checksumMatches(int total) {
        return crc.compute(buffer, offset + O_TCP_LENGTH, total - O_TCP_LENGTH) == buffer.getInt(offset + O_CRC, BE);
    }

    /** Whether the two lengths are sane and add up to {@code total} with the prefix. */
    public boolean lengthsMatch(int total) {
        int tcp = tcpLength();
        int app = appLength();
        return tcp >= 0 && app >= 0 && (long) PREFIX_LENGTH + tcp + app == total;
    }
}
