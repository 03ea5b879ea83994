package io.capybara.wire;

import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.checksum.Crc32c;

/**
 * CRC32C over a range of any Agrona buffer without copying: the JDK's intrinsic for heap
 * arrays, Agrona's address-based entry to the same intrinsic for off-heap memory (TAP and
 * AF_PACKET frames live there). Not thread-safe: one instance per host loop.
 */
public final class BufferCrc {
    private final CRC32C heap = new CRC32C();

    /** Stateless form: a short-lived CRC32C object the JIT's escape analysis can remove. */
    public static int crc32c(DirectBuffer buffer, int index, int length) {
        return new BufferCrc().compute(buffer, index, length);
    }

    public int compute(DirectBuffer buffer, int index, int length) {
        byte[] array = buffer.byteArray();
        if (array != null) {
            heap.reset();
            heap.update(array, buffer.wrapAdjustment() + index, length);
            return (int) heap.getValue();
        }
        if (buffer.byteBuffer() != null && buffer.byteBuffer().hasArray()) {
            heap.reset();
            heap.update(buffer.byteBuffer().array(), buffer.wrapAdjustment() + index, length);
            return (int) heap.getValue();
        }
        return Crc32c.INSTANCE.compute(buffer.addressOffset(), index, length);
    }
}
