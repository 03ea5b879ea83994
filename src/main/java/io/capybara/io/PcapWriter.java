package io.capybara.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Writes a classic libpcap file with nanosecond timestamps (magic 0xa1b23c4d) and
 * LINKTYPE_ETHERNET. Timestamps come from the caller, never from a clock, so a simulated run
 * produces the same file every time. Records are staged in one direct buffer and written when
 * it fills or on {@link #flush}/{@link #close}; no allocation per record.
 *
 * <p>Fields are written little-endian; readers detect byte order from the magic.
 */
public final class PcapWriter implements AutoCloseable {
    public static final int MAGIC_NANOS = 0xa1b23c4d;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int SNAPLEN = 262_144;
    public static final int FILE_HEADER_LENGTH = 24;
    public static final int RECORD_HEADER_LENGTH = 16;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int STAGING_BYTES = 1 << 20;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final FileChannel file;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_BYTES);
    private final UnsafeBuffer stagingView = new UnsafeBuffer(staging);
    private int staged;
    private long records;
    private boolean closed;

    /** Creates (or truncates) {@code path} and writes the file header. */
    public PcapWriter(Path path) throws IOException {
        this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        stagingView.putInt(0, MAGIC_NANOS, LE);
        stagingView.putShort(4, (short) 2, LE); // version 2.4
        stagingView.putShort(6, (short) 4, LE);
        stagingView.putInt(8, 0, LE); // thiszone: timestamps are UTC
        stagingView.putInt(12, 0, LE); // sigfigs
        stagingView.putInt(16, SNAPLEN, LE);
        stagingView.putInt(20, LINKTYPE_ETHERNET, LE);
        staged = FILE_HEADER_LENGTH;
    }

    /**
     * Appends one frame; frames longer than {@link #SNAPLEN} are cut (the original length is kept).
     *
     * @param timestampNanos nanoseconds since the epoch (or since a simulation's time zero)
     * @throws UncheckedIOException if the file cannot be written
     */
    public void record(long timestampNanos, DirectBuffer buffer, int offset, int length) {
        if (closed) {
            throw new IllegalStateException("pcap writer closed");
        }
        int captured = Math.min(length, SNAPLEN);
        if (staged + RECORD_HEADER_LENGTH + captured > STAGING_BYTES) {
            flush();
        }
        stagingView.putInt(staged, (int) Math.floorDiv(timestampNanos, NANOS_PER_SECOND), LE);
        stagingView.putInt(staged + 4, (int) Math.floorMod(timestampNanos, NANOS_PER_SECOND), LE);
        stagingView.putInt(staged + 8, captured, LE);
        stagingView.putInt(staged + 12, length, LE);
        stagingView.putBytes(staged + RECORD_HEADER_LENGTH, buffer, offset, captured);
        staged += RECORD_HEADER_LENGTH + captured;
        records++;
    }

    /** Frames recorded so far. */
    public long records() {
        return records;
    }

    /** Writes staged records to the file. */
    public void flush() {
        try {
            staging.clear().limit(staged);
            while (staging.hasRemaining()) {
                file.write(staging);
            }
            staged = 0;
        } catch (IOException e) {
            throw new UncheckedIOException("pcap write failed", e);
        }
    }

    /** Flushes and closes the file; further calls do nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            flush();
        } finally {
            closed = true;
            try {
                file.close();
            } catch (IOException e) {
                throw new UncheckedIOException("pcap close failed", e);
            }
        }
    }
}
