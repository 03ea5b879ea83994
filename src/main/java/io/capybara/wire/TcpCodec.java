package io.capybara.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Parses and writes TCP segments (RFC 9293) to and from a reused {@link TcpSegment}.
 * {@code offset} is the start of the TCP header and {@code length} the whole segment (header,
 * options and payload), as the IPv4 total length implies.
 *
 * <p>Options written are canonical, so parse then write reproduces the bytes: MSS, then
 * SACK-permitted + timestamps (or NOP-padded when only one is present), then NOP + window scale,
 * then NOP + NOP + SACK blocks. SACK blocks that do not fit the 40 option bytes left by the other
 * options are not written (the first ones are kept: RFC 2018 puts the most important first).
 */
public final class TcpCodec {
    /** Parse results. */
    public static final int OK = 0;
    public static final int TRUNCATED = 1;
    public static final int BAD_DATA_OFFSET = 2;
    public static final int BAD_OPTION = 3;
    public static final int BAD_CHECKSUM = 4;

    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;
    /** Option bytes a header can hold. */
    public static final int MAX_OPTION_BYTES = MAX_HEADER_LENGTH - MIN_HEADER_LENGTH;
    /** SACK option: kind + length, then 8 bytes per block (RFC 2018 3). */
    public static final int SACK_BASE_BYTES = 2;
    public static final int SACK_BLOCK_BYTES = 8;
    public static final int CHECKSUM_OFFSET = 16;

    public static final int OPT_EOL = 0;
    public static final int OPT_NOP = 1;
    public static final int OPT_MSS = 2;
    public static final int OPT_WINDOW_SCALE = 3;
    public static final int OPT_SACK_PERMITTED = 4;
    public static final int OPT_SACK = 5;
    public static final int OPT_TIMESTAMPS = 8;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private TcpCodec() {
    }

    /** A short name for a parse result, for counters and test messages. */
    public static String reason(int code) {
        return switch (code) {
            case OK -> "ok";
            case TRUNCATED -> "truncated";
            case BAD_DATA_OFFSET -> "bad-data-offset";
            case BAD_OPTION -> "bad-option";
            case BAD_CHECKSUM -> "bad-checksum";
            default -> "unknown-" + code;
        };
    }

    /**
     * Parses one segment into {@code out} (cleared first). The payload is a view into
     * {@code buf}. Never throws for any byte content as long as the range lies in the buffer.
     *
     * @return {@link #OK} or the reason for rejecting the segment
     */
    public static int parse(DirectBuffer buf, int offset, int length, int srcIp, int dstIp,
                            boolean verifyChecksum, TcpSegment out) {
        out.clear();
        if (length < MIN_HEADER_LENGTH || offset < 0 || offset > buf.capacity() - length) {
            return TRUNCATED;
        }
        int headerLength = ((buf.getByte(offset + 12) >> 4) & 0xF) * 4;
        if (headerLength < MIN_HEADER_LENGTH || headerLength > length) {
            return BAD_DATA_OFFSET;
        }
        if (verifyChecksum) {
            long sum = Checksums.sum(buf, offset, length)
                    + Checksums.pseudoHeaderSum(srcIp, dstIp, Ipv4Header.PROTO_TCP, length);
            if (!Checksums.verify(sum)) {
                return BAD_CHECKSUM;
            }
        }
        out.srcIp = srcIp;
        out.dstIp = dstIp;
        out.srcPort = buf.getShort(offset, BE) & 0xFFFF;
        out.dstPort = buf.getShort(offset + 2, BE) & 0xFFFF;
        out.seq = buf.getInt(offset + 4, BE);
        out.ack = buf.getInt(offset + 8, BE);
        out.flags = buf.getByte(offset + 13) & 0xFF;
        out.window = buf.getShort(offset + 14, BE) & 0xFFFF;
        out.urgentPointer = buf.getShort(offset + 18, BE) & 0xFFFF;
        int result = parseOptions(buf, offset + MIN_HEADER_LENGTH, offset + headerLength, out);
        if (result != OK) {
            return result;
        }
        out.payload = buf;
        out.payloadOffset = offset + headerLength;
        out.payloadLength = length - headerLength;
        return OK;
    }

    private static int parseOptions(DirectBuffer buf, int i, int end, TcpSegment out) {
        while (i < end) {
            int kind = buf.getByte(i) & 0xFF;
            if (kind == OPT_EOL) {
                return OK;
            }
            if (kind == OPT_NOP) {
                i++;
                continue;
            }
            if (end - i < 2) {
                return BAD_OPTION;
            }
            int len = buf.getByte(i + 1) & 0xFF;
            if (len < 2 || len > end - i) {
                return BAD_OPTION;
            }
            // Known options must have their defined length; anything else is skipped by length.
            switch (kind) {
                case OPT_MSS -> {
                    if (len != 4) {
                        return BAD_OPTION;
                    }
                    out.mss = buf.getShort(i + 2, BE) & 0xFFFF;
                }
                case OPT_WINDOW_SCALE -> {
                    if (len != 3) {
                        return BAD_OPTION;
                    }
                    out.windowScale = buf.getByte(i + 2) & 0xFF;
                }
                case OPT_SACK_PERMITTED -> {
                    if (len != 2) {
                        return BAD_OPTION;
                    }
                    out.sackPermitted = true;
                }
                case OPT_TIMESTAMPS -> {
                    if (len != 10) {
                        return BAD_OPTION;
                    }
                    out.hasTimestamps = true;
                    out.tsVal = buf.getInt(i + 2, BE);
                    out.tsEcr = buf.getInt(i + 6, BE);
                }
                case OPT_SACK -> {
                    int n = (len - SACK_BASE_BYTES) / SACK_BLOCK_BYTES;
                    if (n < 1 || n > TcpSegment.MAX_SACK_BLOCKS
                            || len != SACK_BASE_BYTES + n * SACK_BLOCK_BYTES) {
                        return BAD_OPTION;
                    }
                    // a second SACK option in one header replaces the first (senders send one)
                    for (int b = 0; b < n; b++) {
                        out.sackLeft[b] = buf.getInt(i + 2 + b * SACK_BLOCK_BYTES, BE);
                        out.sackRight[b] = buf.getInt(i + 6 + b * SACK_BLOCK_BYTES, BE);
                    }
                    out.sackCount = n;
                }
                default -> {
                }
            }
            i += len;
        }
        return OK;
    }

    /** Header length in bytes (options and padding included) that {@link #write} will produce. */
    public static int headerLength(TcpSegment seg) {
        int n = headerLengthWithoutSack(seg);
        int blocks = sackBlocksWritten(seg, n);
        return blocks == 0 ? n : n + sackOptionBytes(blocks);
    }

    /** Bytes a SACK option of {@code blocks} blocks takes in a header, with its two NOPs of alignment. */
    public static int sackOptionBytes(int blocks) {
        return 2 + SACK_BASE_BYTES + blocks * SACK_BLOCK_BYTES;
    }

    /**
     * How many SACK blocks fit beside {@code optionBytes} bytes of other (aligned) options: with
     * timestamps 3, with none 4.
     */
    public static int sackBlocksThatFit(int optionBytes) {
        int room = MAX_OPTION_BYTES - optionBytes - sackOptionBytes(0);
        return room < 0 ? 0 : Math.min(TcpSegment.MAX_SACK_BLOCKS, room / SACK_BLOCK_BYTES);
    }

    /** The segment's SACK blocks that {@link #write} emits: its count, clamped to what fits. */
    private static int sackBlocksWritten(TcpSegment seg, int headerWithoutSack) {
        int fit = sackBlocksThatFit(headerWithoutSack - MIN_HEADER_LENGTH);
        return Math.max(0, Math.min(seg.sackCount, fit));
    }

    private static int headerLengthWithoutSack(TcpSegment seg) {
        int n = MIN_HEADER_LENGTH;
        if (seg.mss != TcpSegment.ABSENT) {
            n += 4;
        }
        if (seg.sackPermitted && seg.hasTimestamps) {
            n += 12;
        } else {
            if (seg.sackPermitted) {
                n += 4;
            }
            if (seg.hasTimestamps) {
                n += 12;
            }
        }
        if (seg.windowScale != TcpSegment.ABSENT) {
            n += 4;
        }
        return n;
    }

    /** Total segment bytes {@link #write} will produce: header plus payload. */
    public static int segmentLength(TcpSegment seg) {
        return headerLength(seg) + seg.payloadLength;
    }

    /**
     * Writes header, options and a copy of the payload, then the checksum over all of it with
     * the pseudo-header from {@code seg.srcIp}/{@code seg.dstIp}.
     *
     * @return bytes written ({@link #segmentLength})
     */
    public static int write(MutableDirectBuffer buf, int offset, TcpSegment seg) {
        return write(buf, offset, seg, false);
    }

    /**
     * {@link #write(MutableDirectBuffer, int, TcpSegment)}, or with {@code partialChecksum} the
     * checksum field left holding the pseudo-header sum alone (folded, not complemented), for a
     * device that sums the segment itself (checksum offload, CHECKSUM_PARTIAL in Linux terms).
     */
    public static int write(MutableDirectBuffer buf, int offset, TcpSegment seg, boolean partialChecksum) {
        return write(buf, offset, seg, partialChecksum, true);
    }

    /**
     * The header alone, its checksum partial (the pseudo-header sum, for the device to finish),
     * for a device that takes the payload from elsewhere (a gathering send). Returns the
     * segment's whole length, header and payload.
     */
    public static int writeHeader(MutableDirectBuffer buf, int offset, TcpSegment seg) {
        return write(buf, offset, seg, true, false);
    }

    private static int write(MutableDirectBuffer buf, int offset, TcpSegment seg, boolean partialChecksum,
                             boolean withPayload) {
        int withoutSack = headerLengthWithoutSack(seg);
        int sackBlocks = sackBlocksWritten(seg, withoutSack);
        int headerLength = sackBlocks == 0 ? withoutSack : withoutSack + sackOptionBytes(sackBlocks);
        buf.putShort(offset, (short) seg.srcPort, BE);
        buf.putShort(offset + 2, (short) seg.dstPort, BE);
        buf.putInt(offset + 4, seg.seq, BE);
        buf.putInt(offset + 8, seg.ack, BE);
        buf.putByte(offset + 12, (byte) ((headerLength / 4) << 4));
        buf.putByte(offset + 13, (byte) seg.flags);
        buf.putShort(offset + 14, (short) seg.window, BE);
        buf.putShort(offset + CHECKSUM_OFFSET, (short) 0, BE);
        buf.putShort(offset + 18, (short) seg.urgentPointer, BE);
        int i = offset + MIN_HEADER_LENGTH;
        if (seg.mss != TcpSegment.ABSENT) {
            buf.putByte(i, (byte) OPT_MSS);
            buf.putByte(i + 1, (byte) 4);
            buf.putShort(i + 2, (short) seg.mss, BE);
            i += 4;
        }
        if (seg.sackPermitted) {
            if (!seg.hasTimestamps) {
                buf.putByte(i++, (byte) OPT_NOP);
                buf.putByte(i++, (byte) OPT_NOP);
            }
            buf.putByte(i, (byte) OPT_SACK_PERMITTED);
            buf.putByte(i + 1, (byte) 2);
            i += 2;
        }
        if (seg.hasTimestamps) {
            if (!seg.sackPermitted) {
                buf.putByte(i++, (byte) OPT_NOP);
                buf.putByte(i++, (byte) OPT_NOP);
            }
            buf.putByte(i, (byte) OPT_TIMESTAMPS);
            buf.putByte(i + 1, (byte) 10);
            buf.putInt(i + 2, seg.tsVal, BE);
            buf.putInt(i + 6, seg.tsEcr, BE);
            i += 10;
        }
        if (seg.windowScale != TcpSegment.ABSENT) {
            buf.putByte(i, (byte) OPT_NOP);
            buf.putByte(i + 1, (byte) OPT_WINDOW_SCALE);
            buf.putByte(i + 2, (byte) 3);
            buf.putByte(i + 3, (byte) seg.windowScale);
            i += 4;
        }
        if (sackBlocks > 0) {
            buf.putByte(i, (byte) OPT_NOP);
            buf.putByte(i + 1, (byte) OPT_NOP);
            buf.putByte(i + 2, (byte) OPT_SACK);
            buf.putByte(i + 3, (byte) (SACK_BASE_BYTES + sackBlocks * SACK_BLOCK_BYTES));
            i += 4;
            for (int b = 0; b < sackBlocks; b++) {
                buf.putInt(i, seg.sackLeft[b], BE);
                buf.putInt(i + 4, seg.sackRight[b], BE);
                i += SACK_BLOCK_BYTES;
            }
        }
        if (withPayload && seg.payloadLength > 0) {
            buf.putBytes(i, seg.payload, seg.payloadOffset, seg.payloadLength);
        }
        int length = headerLength + seg.payloadLength;
        long pseudo = Checksums.pseudoHeaderSum(seg.srcIp, seg.dstIp, Ipv4Header.PROTO_TCP, length);
        if (partialChecksum) {
            buf.putShort(offset + CHECKSUM_OFFSET, (short) Checksums.fold(pseudo), BE);
        } else {
            buf.putShort(offset + CHECKSUM_OFFSET, (short) Checksums.finish(Checksums.sum(buf, offset, length) + pseudo), BE);
        }
        return length;
    }

    /**
     * Patches the TCP checksum after an IPv4 address in the pseudo-header changed (e.g. a switch
     * rewriting the destination), without touching the payload.
     */
    public static void updateChecksumForAddress(MutableDirectBuffer buf, int offset, int oldAddress, int newAddress) {
        int old = buf.getShort(offset + CHECKSUM_OFFSET, BE) & 0xFFFF;
        buf.putShort(offset + CHECKSUM_OFFSET, (short) Checksums.update32(old, oldAddress, newAddress), BE);
    }

    /** Replaces the destination port and patches the checksum incrementally. */
    public static void setDstPort(MutableDirectBuffer buf, int offset, int newPort) {
        int old = buf.getShort(offset + 2, BE) & 0xFFFF;
        buf.putShort(offset + 2, (short) newPort, BE);
        int c = buf.getShort(offset + CHECKSUM_OFFSET, BE) & 0xFFFF;
        buf.putShort(offset + CHECKSUM_OFFSET, (short) Checksums.update16(c, old, newPort & 0xFFFF), BE);
    }
}
