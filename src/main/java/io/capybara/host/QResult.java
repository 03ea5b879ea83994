package io.capybara.host;

import org.agrona.DirectBuffer;

/**
 * One completed queue operation, filled by {@link QueueApi#takeCompletion} or
 * {@link QueueApi#nextCompletion}. Reuse one instance per loop.
 *
 * <ul>
 *   <li>ACCEPT: {@link #value} = the new connection's descriptor</li>
 *   <li>CONNECT: {@link #value} = 0</li>
 *   <li>PUSH: {@link #value} = bytes accepted (all of them on success)</li>
 *   <li>POP: {@link #value} = bytes read, 0 = end of stream; {@link #data} views them (for
 *       {@code pop(qd)} the view stays valid until the next pop on that descriptor completes)</li>
 *   <li>CLOSE: nothing</li>
 * </ul>
 */
public final class QResult {
    public long token;
    public int qd;
    public QueueOp op;
    /** {@link QueueError} code; 0 on success. */
    public int error;
    public int value;
    public DirectBuffer data;
    public int dataOffset;
    public int dataLength;

    public boolean ok() {
        return error == QueueError.OK;
    }

    @Override
    public String toString() {
        return op + "(qd=" + qd + ") " + (error == 0 ? "ok value=" + value : QueueError.name(error));
    }
}
